from django.urls import path

from insured import jobs_views, views
from insured.printing import views as printing_views

app_name = "insured"

urlpatterns = [
    path("", views.home, name="home"),
    path("persons/", views.person_search, name="person-search"),
    path("persons/export.xlsx", views.person_export, name="person-export"),
    path("persons/new/", views.person_create, name="person-create"),
    path("persons/<int:pk>/", views.person_detail, name="person-detail"),
    path("persons/<int:pk>/edit/", views.person_edit, name="person-edit"),
    path("jobs/", jobs_views.job_list, name="job-list"),
    path("jobs/<int:pk>/", jobs_views.job_detail, name="job-detail"),
    path("jobs/<int:pk>/status.json", jobs_views.job_status, name="job-status"),
    path("jobs/<int:pk>/download", jobs_views.job_download, name="job-download"),
    path("access-log/", views.access_log_page, name="access-log"),
    path("access-log/export.xlsx", views.access_log_export, name="access-log-export"),
    path("printing/batch/", printing_views.batch_page, name="print-batch"),
    path("printing/log/", printing_views.print_log, name="print-log"),
    path("printing/verify/", printing_views.verify, name="print-verify"),
]
