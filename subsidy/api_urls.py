from django.urls import path

from subsidy import api

app_name = "subsidy_api"

urlpatterns = [
    path("sponsorships/", api.SponsorshipListApi.as_view(), name="sponsorship-list"),
    path("sponsorships/check/", api.SponsorshipCheckApi.as_view(), name="sponsorship-check"),
    path("sponsorships/<int:pk>/", api.SponsorshipDetailApi.as_view(), name="sponsorship-detail"),
    path("sponsorships/<int:pk>/approve/", api.SponsorshipApproveApi.as_view(), name="sponsorship-approve"),
    path("sponsorships/<int:pk>/reject/", api.SponsorshipRejectApi.as_view(), name="sponsorship-reject"),
    path(
        "sponsorships/<int:pk>/record-signatures/",
        api.SponsorshipSignaturesApi.as_view(),
        name="sponsorship-record-signatures",
    ),
    path("sponsorships/<int:pk>/withdraw/", api.SponsorshipWithdrawApi.as_view(), name="sponsorship-withdraw"),
]
