from django.urls import path

from collection import views

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
]
