from django.urls import path

from subsidy import views

urlpatterns = [
    path("sponsorship/", views.application_list, name="sponsorship-list"),
    path("sponsorship/new/", views.counter, name="sponsorship-counter"),
    path("sponsorship/verify/", views.application_verify, name="sponsorship-verify"),
    path("sponsorship/<int:pk>/", views.application_detail, name="sponsorship-detail"),
    path("sponsorship/<int:pk>/approve/", views.application_approve, name="sponsorship-approve"),
    path("sponsorship/<int:pk>/reject/", views.application_reject, name="sponsorship-reject"),
    path("sponsorship/<int:pk>/sign/", views.application_sign, name="sponsorship-sign"),
    path("sponsorship/<int:pk>/withdraw/", views.application_withdraw, name="sponsorship-withdraw"),
    path("sponsorship/<int:pk>/form.pdf", views.application_pdf, name="sponsorship-pdf"),
]
