from django.urls import path

from refunds import api

app_name = "refunds_api"

urlpatterns = [
    path("refunds/", api.RefundListApi.as_view(), name="refund-list"),
    path("refunds/cases/", api.CaseListApi.as_view(), name="case-list"),
    path("refunds/hand-over/", api.HandOverApi.as_view(), name="hand-over"),
    path("refunds/requests/", api.RequestListApi.as_view(), name="request-list"),
    path("refunds/requests/<int:pk>/", api.RequestDetailApi.as_view(), name="request-detail"),
    path("refunds/tax-reports/", api.TaxReportListApi.as_view(), name="tax-report-list"),
    path("refunds/<int:pk>/", api.RefundDetailApi.as_view(), name="refund-detail"),
    path("refunds/<int:pk>/first-review/", api.FirstReviewApi.as_view(), name="refund-first-review"),
    path("refunds/<int:pk>/approve/", api.ApproveApi.as_view(), name="refund-approve"),
    path("refunds/<int:pk>/return/", api.ReturnApi.as_view(), name="refund-return"),
    path("refunds/<int:pk>/withdraw/", api.WithdrawApi.as_view(), name="refund-withdraw"),
    path("refunds/<int:pk>/correct/", api.CorrectApi.as_view(), name="refund-correct"),
    path("refunds/<int:pk>/payment/", api.PaymentApi.as_view(), name="refund-payment"),
    path("refunds/<int:pk>/payment-failed/", api.PaymentFailedApi.as_view(), name="refund-payment-failed"),
]
