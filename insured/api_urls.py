from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token

from insured import api

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("persons/", api.PersonListApi.as_view(), name="api-person-list"),
    path("persons/<int:pk>/", api.PersonDetailApi.as_view(), name="api-person-detail"),
]
