from django.urls import path

from collection import backpay_views, views

app_name = "collection"

urlpatterns = [
    path("groups/", views.home, name="home"),
    path("groups/upload/", views.list_upload, name="list-upload"),
    path("groups/template.xlsx", views.upload_template, name="upload-template"),
    path("groups/lists/<int:pk>/", views.list_detail, name="list-detail"),
    path("groups/lists/<int:pk>/export.xlsx", views.list_export, name="list-export"),
    path("groups/ledger/export.xlsx", views.ledger_export, name="ledger-export"),
    path("gov-paid/export.xlsx", views.gov_paid_export, name="gov-paid-export"),
    path("groups/ledger/", views.township_ledger, name="ledger"),
    path("gov-paid/", views.gov_paid, name="gov-paid"),
    path("gov-paid/generate/", views.gov_paid_generate, name="gov-paid-generate"),
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
