from django.urls import path

from oversight import api

app_name = "oversight_api"

urlpatterns = [
    path("oversight/progress/", api.ProgressApi.as_view(), name="progress"),
]
