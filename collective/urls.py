from django.urls import path

from collective.views import filings, rosters, summary

app_name = "collective"

urlpatterns = [
    path("collective/", filings.home, name="home"),
    path("collective/template.xlsx", filings.roster_template, name="template"),
    path("collective/organisations/new/", filings.organisation_create, name="organisation-create"),
    path("collective/organisations/<int:pk>/", filings.organisation_detail, name="organisation-detail"),
    path("collective/organisations/<int:pk>/edit/", filings.organisation_edit, name="organisation-edit"),
    path(
        "collective/organisations/<int:pk>/virtual-unit/",
        filings.organisation_virtual_unit,
        name="organisation-virtual-unit",
    ),
    path("collective/organisations/<int:pk>/plan/", filings.filing_create, name="filing-create"),
    path("collective/social/new/", filings.social_create, name="social-create"),
    path("collective/filings/<int:pk>/", filings.filing_detail, name="filing-detail"),
    path("collective/filings/<int:pk>/edit/", filings.filing_edit, name="filing-edit"),
    path("collective/filings/<int:pk>/upload/", filings.filing_upload, name="filing-upload"),
    path("collective/filings/<int:pk>/minutes", filings.filing_minutes, name="filing-minutes"),
    path("collective/filings/<int:pk>/filing.pdf", filings.filing_pdf, name="filing-pdf"),
    path("collective/rosters/verify/", rosters.roster_verify, name="roster-verify"),
    path("collective/rosters/<int:pk>/", rosters.roster_detail, name="roster-detail"),
    path("collective/rosters/<int:pk>/submit/", rosters.roster_submit, name="roster-submit"),
    path("collective/rosters/<int:pk>/discard/", rosters.roster_discard, name="roster-discard"),
    path("collective/rosters/<int:pk>/review/", rosters.roster_review, name="roster-review"),
    path("collective/rosters/<int:pk>/approve/", rosters.roster_approve, name="roster-approve"),
    path("collective/rosters/<int:pk>/reject/", rosters.roster_reject, name="roster-reject"),
    path("collective/rosters/<int:pk>/source", rosters.roster_source, name="roster-source"),
    path("collective/rosters/<int:pk>/<str:form>.pdf", rosters.roster_form, name="roster-form"),
    path("collective/summary/", summary.summary_page, name="summary"),
    path("collective/summary/summary.<str:fmt>", summary.summary_download, name="summary-download"),
]
