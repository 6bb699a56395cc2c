from django.urls import path

from insured import views

app_name = "insured"

urlpatterns = [
    path("", views.home, name="home"),
    path("persons/", views.person_search, name="person-search"),
    path("persons/export.xlsx", views.person_export, name="person-export"),
    path("persons/new/", views.person_create, name="person-create"),
    path("persons/<int:pk>/", views.person_detail, name="person-detail"),
    path("persons/<int:pk>/edit/", views.person_edit, name="person-edit"),
    path("access-log/", views.access_log_page, name="access-log"),
    path("access-log/export.xlsx", views.access_log_export, name="access-log-export"),
]
