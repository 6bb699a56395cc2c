from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token

from insured import api

app_name = "insured_api"

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="token"),
    path("persons/", api.PersonListApi.as_view(), name="person-list"),
    path("persons/<int:pk>/", api.PersonDetailApi.as_view(), name="person-detail"),
]
