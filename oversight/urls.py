from django.urls import path

from oversight.views import coverage, progress, reports

app_name = "oversight"

urlpatterns = [
    path("oversight/progress/", progress.progress_page, name="progress"),
    path("oversight/progress/export.xlsx", progress.progress_export, name="progress-export"),
    path("oversight/coverage/", coverage.coverage_page, name="coverage"),
    path("oversight/coverage/export.xlsx", coverage.coverage_export, name="coverage-export"),
    path("oversight/coverage/gap/", coverage.gap_list, name="gap-list"),
    path("oversight/coverage/reverse/", coverage.reverse_list, name="reverse-list"),
    path("oversight/coverage/<str:kind>/export.xlsx", coverage.list_export, name="list-export"),
    path("oversight/coverage/extracts/upload/", coverage.extract_upload, name="extract-upload"),
    path("oversight/coverage/lists/upload/", coverage.department_list_upload, name="list-upload"),
    path("oversight/coverage/template/<str:which>.xlsx", coverage.upload_template, name="upload-template"),
    path("oversight/reports/", reports.report_list, name="report-list"),
    path("oversight/reports/make/", reports.report_make, name="report-make"),
    path("oversight/reports/<int:pk>.<str:fmt>", reports.report_download, name="report-download"),
]
