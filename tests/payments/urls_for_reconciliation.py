"""The project's URLs plus the reconciliation pages, for tests that run before config.urls
includes payments.urls."""

from django.urls import include, path

from payments.views import reconciliation

urlpatterns = [
    path("", include(reconciliation.urlpatterns)),
    path("", include("config.urls")),
]
