from django.urls import path

from refunds import views

app_name = "refunds"

urlpatterns = [
    path("refunds/", views.application_list, name="list"),
    path("refunds/new/", views.intake_lookup, name="intake-lookup"),
    path("refunds/new/person/<int:person_pk>/", views.intake, name="intake"),
    path("refunds/hand-over/", views.hand_over, name="hand-over"),
    path("refunds/<int:pk>/", views.application_detail, name="detail"),
    path("refunds/<int:pk>/first-review/", views.first_review, name="first-review"),
    path("refunds/<int:pk>/approve/", views.approve, name="approve"),
    path("refunds/<int:pk>/return/", views.return_to_township, name="return"),
    path("refunds/<int:pk>/correct/", views.correct, name="correct"),
    path("refunds/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("refunds/<int:pk>/payment/", views.record_payment, name="payment"),
    path("refunds/<int:pk>/payment-failed/", views.record_failure, name="payment-failed"),
    path("refunds/<int:pk>/copies/<str:field>/", views.copy_file, name="copy"),
    path("refunds/<int:pk>/form.pdf", views.application_pdf, name="pdf"),
    path("refunds/requests/", views.request_list, name="request-list"),
    path("refunds/requests/new/", views.request_create, name="request-create"),
    path("refunds/requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("refunds/requests/<int:pk>/summary.pdf", views.request_pdf, name="request-pdf"),
    path("refunds/requests/<int:pk>/summary.xlsx", views.request_xlsx, name="request-xlsx"),
    path("refunds/reports/new/", views.report_create, name="report-create"),
    path("refunds/reports/<int:pk>.<str:fmt>", views.report_download, name="report-download"),
]
