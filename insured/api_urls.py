from django.urls import path

from insured import api
from insured.auth import TokenLoginApi, TokenLogoutApi

app_name = "insured_api"

urlpatterns = [
    path("auth/token/", TokenLoginApi.as_view(), name="token"),
    path("auth/logout/", TokenLogoutApi.as_view(), name="logout"),
    path("persons/", api.PersonListApi.as_view(), name="person-list"),
    path("persons/lookup/", api.PersonLookupApi.as_view(), name="person-lookup"),
    path("persons/<int:pk>/", api.PersonDetailApi.as_view(), name="person-detail"),
]
