"""The registry over HTTP: person search and detail, cut to the caller's scope."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from insured import access, access_log, selectors
from insured.fields import TextSerializerField
from insured.models import InsuredPerson
from insured.serializers import PersonDetailOutput, PersonListOutput


def _persons(request: Request):
    queryset = InsuredPerson.objects.select_related("village__parent")
    return selectors.with_contribution(access.scoped(queryset, request.user, "village"), timezone.localdate().year)


class _WithYear:
    """The year `this_year` speaks of, for the serializers."""

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "year": timezone.localdate().year}  # type: ignore[misc]


def _search(request: Request, query: str):
    return selectors.person_search(_persons(request), query).order_by(selectors.pinyin("name"), "id_no")


@extend_schema(
    summary="Search insured persons by name or person number",
    parameters=[
        OpenApiParameter(
            "q",
            str,
            description="Name (or its start) or person number. A resident ID is personal data and never goes in a "
            "URL: look it up with POST /api/v1/persons/lookup/.",
        )
    ],
)
class PersonListApi(_WithYear, generics.ListAPIView):
    permission_classes = [access.capability(access.PERSON_VIEW)]
    serializer_class = PersonListOutput

    def get_queryset(self):
        query = self.request.query_params.get("q", "")
        if selectors.looks_like_id_no(query):
            raise exceptions.ValidationError(
                {"q": [_("Look up a resident ID number with POST /api/v1/persons/lookup/, not in the URL.")]},
                code="id_in_url",
            )
        return _search(self.request, query)


class PersonLookupInput(serializers.Serializer):
    q = TextSerializerField(max_length=50, help_text="Resident ID (or its start), person number or name")


@extend_schema(
    summary="Look insured persons up by resident ID, person number or name",
    request=PersonLookupInput,
    responses=PersonListOutput(many=True),
)
class PersonLookupApi(_WithYear, generics.GenericAPIView):
    """The resident ID travels in the body, so it stays out of URLs and access logs."""

    permission_classes = [access.capability(access.PERSON_VIEW)]
    serializer_class = PersonListOutput
    parser_classes = [JSONParser]

    def post(self, request: Request) -> Response:
        lookup = PersonLookupInput(data=request.data)
        lookup.is_valid(raise_exception=True)
        page = self.paginate_queryset(_search(request, lookup.validated_data["q"]))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class PersonDetailApi(_WithYear, generics.GenericAPIView):
    permission_classes = [access.capability(access.PERSON_VIEW)]
    serializer_class = PersonDetailOutput

    def get_queryset(self):
        return _persons(self.request).prefetch_related("memberships")

    @extend_schema(
        summary="An insured person, with the account by year for the roles that may see accounts",
        description="balance, standing and years are present only for a caller allowed to see accounts; "
        "id_no is masked (first 6 and last 4) for a caller not allowed to see it whole.",
    )
    def get(self, request: Request, pk: int) -> Response:
        person = self.get_object()
        if access.has_capability(request.user, access.ACCOUNT_VIEW):
            person.balance = selectors.account_balance(person)
            person.standing = selectors.year_standing(person, timezone.localdate())
            # Not `years`: that name is the person's reverse relation to PersonYear.
            person.account_years = selectors.account_by_year(person)
        access_log.record(request.user, [person.pk], access_log.What.API)
        return Response(self.get_serializer(person).data)
