from django.urls import path

from collection import backpay_views

app_name = "collection"

urlpatterns: list = [
    # Back payment 补缴 (branch backpay)
    path("backpay/", backpay_views.application_list, name="backpay-list"),
    path("backpay/export.xlsx", backpay_views.application_export, name="backpay-export"),
    path("backpay/new/", backpay_views.intake_lookup, name="backpay-lookup"),
    path("backpay/new/<int:person_pk>/", backpay_views.intake, name="backpay-intake"),
    path("backpay/<int:pk>/", backpay_views.application_detail, name="backpay-detail"),
    path("backpay/<int:pk>/approve/", backpay_views.application_approve, name="backpay-approve"),
    path("backpay/<int:pk>/reject/", backpay_views.application_reject, name="backpay-reject"),
    path("backpay/<int:pk>/withdraw/", backpay_views.application_withdraw, name="backpay-withdraw"),
    path("backpay/<int:pk>/form.pdf", backpay_views.application_pdf, name="backpay-pdf"),
]
