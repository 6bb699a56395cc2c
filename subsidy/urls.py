from django.urls import path

from subsidy import views

app_name = "subsidy"

urlpatterns = [
    path("sponsorship/", views.application_list, name="list"),
    path("sponsorship/export.xlsx", views.application_export, name="export"),
    path("sponsorship/new/", views.counter, name="counter"),
    path("sponsorship/verify/", views.application_verify, name="verify"),
    path("sponsorship/<int:pk>/", views.application_detail, name="detail"),
    path("sponsorship/<int:pk>/approve/", views.application_approve, name="approve"),
    path("sponsorship/<int:pk>/reject/", views.application_reject, name="reject"),
    path("sponsorship/<int:pk>/sign/", views.application_sign, name="sign"),
    path("sponsorship/<int:pk>/withdraw/", views.application_withdraw, name="withdraw"),
    path("sponsorship/<int:pk>/form.pdf", views.application_pdf, name="pdf"),
]
