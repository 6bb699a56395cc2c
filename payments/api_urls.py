from django.urls import path

from payments import api

app_name = "payments_api"

urlpatterns = [
    path("tax/notice-batches/", api.NoticeBatchPushApi.as_view(), name="notice-batch-push"),
    path("tax/notice-batches/<str:batch_id>/", api.NoticeBatchStatusApi.as_view(), name="notice-batch-status"),
]
