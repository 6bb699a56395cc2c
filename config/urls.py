from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from insured.access import public
from insured.api_docs import docs_permission
from payments.health import healthz

# Under /api/ these answer in the API's one error shape (insured.api_errors); elsewhere the pages.
handler400 = "insured.api_errors.bad_request"
handler404 = "insured.api_errors.page_not_found"
handler500 = "insured.api_errors.server_error"

urlpatterns = [
    path(
        "login/",
        public(
            auth_views.LoginView.as_view(
                redirect_authenticated_user=True,
                extra_context={"session_minutes": settings.SESSION_COOKIE_AGE // 60},
            )
        ),
        name="login",
    ),
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("insured.api_urls")),
    path("api/v1/", include("payments.api_urls")),
    path("api/v1/", include("subsidy.api_urls")),
    path("api/v1/", include("collective.api_urls")),
    path("api/v1/", include("refunds.api_urls")),
    path("api/v1/", include("collection.api_urls")),
    path("api/v1/", include("oversight.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=docs_permission), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script under the CSP.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", permission_classes=docs_permission),
        name="api-docs",
    ),
    path("", include("payments.urls")),
    path("", include("subsidy.urls")),
    path("", include("collective.urls")),
    path("", include("refunds.urls")),
    path("", include("collection.urls")),
    path("", include("oversight.urls")),
    path("", include("insured.urls")),
]
