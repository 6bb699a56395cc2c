"""The registry over HTTP: person search and detail, cut to the caller's scope."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from insured import access, selectors
from insured.models import InsuredPerson
from insured.serializers import PersonDetailOutput, PersonListOutput


def _persons(request: Request):
    queryset = InsuredPerson.objects.select_related("village__parent")
    return access.scoped(queryset, request.user, "village")


@extend_schema(
    summary="Search insured persons",
    parameters=[OpenApiParameter("q", str, description="Resident ID (or its start), person number or name")],
)
class PersonListApi(generics.ListAPIView):
    permission_classes = [access.capability(access.PERSON_VIEW)]
    serializer_class = PersonListOutput

    def get_queryset(self):
        return selectors.person_search(_persons(self.request), self.request.query_params.get("q", "")).order_by(
            "name", "id_no"
        )


class PersonDetailApi(generics.GenericAPIView):
    permission_classes = [access.capability(access.PERSON_VIEW)]
    serializer_class = PersonDetailOutput

    def get_queryset(self):
        return _persons(self.request).prefetch_related("memberships")

    @extend_schema(summary="An insured person with the account by year")
    def get(self, request: Request, pk: int) -> Response:
        person = self.get_object()
        person.balance = selectors.account_balance(person)
        person.standing = selectors.year_standing(person, timezone.localdate())
        # Not `years`: that name is the person's reverse relation to PersonYear.
        person.account_years = selectors.account_by_year(person)
        return Response(self.get_serializer(person).data)
