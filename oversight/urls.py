from django.urls import path

from oversight.views import coverage, progress, reports

app_name = "oversight"

urlpatterns = [
    path("oversight/progress/", progress.progress_page, name="progress"),
    path("oversight/coverage/", coverage.coverage_page, name="coverage"),
    path("oversight/reports/", reports.report_list, name="report-list"),
]
