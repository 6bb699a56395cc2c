from django.urls import path

from collective import api

app_name = "collective_api"

urlpatterns = [
    path("collective/filings/", api.FilingListApi.as_view(), name="filing-list"),
    path("collective/filings/<int:pk>/", api.FilingDetailApi.as_view(), name="filing-detail"),
    path("collective/filings/<int:pk>/rosters/", api.RosterUploadApi.as_view(), name="roster-upload"),
    path("collective/rosters/<int:pk>/", api.RosterDetailApi.as_view(), name="roster-detail"),
    path("collective/rosters/<int:pk>/rows/", api.RosterRowsApi.as_view(), name="roster-rows"),
    path("collective/rosters/<int:pk>/submit/", api.RosterSubmitApi.as_view(), name="roster-submit"),
    path("collective/rosters/<int:pk>/review/", api.RosterReviewApi.as_view(), name="roster-review"),
    path("collective/rosters/<int:pk>/approve/", api.RosterApproveApi.as_view(), name="roster-approve"),
    path("collective/rosters/<int:pk>/reject/", api.RosterRejectApi.as_view(), name="roster-reject"),
]
