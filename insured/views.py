"""Staff pages: parse, authorise, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from insured import access, access_log, selectors, services
from insured.forms import AccessLogFilterForm, PersonForm, PersonSearchForm, add_rule_error
from insured.history import person_history
from insured.models import InsuredPerson
from insured.plugins import person_panels
from insured.rules import RuleViolation


def _persons(request: HttpRequest):
    return access.scoped(InsuredPerson.objects.select_related("village__parent"), request.user, "village")


@access.capability_required(access.PERSON_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    year = timezone.localdate().year
    persons = _persons(request)
    counts = persons.aggregate(
        total=Count("pk"),
        enrolled=Count("pk", filter=Q(status=InsuredPerson.Status.ENROLLED)),
        receiving=Count("pk", filter=Q(status=InsuredPerson.Status.RECEIVING)),
    )
    counts["paid"] = persons.filter(years__year=year, years__own_arrived_on__isnull=False).count()
    return render(request, "insured/home.html", {"counts": counts, "year": year, "search_form": PersonSearchForm()})


# A search may be a resident ID: it travels by POST and is kept in the session, never in a URL
# (so not in access logs or the browser's history); the pages of its results are plain GETs.
SEARCH_KEY = "insured.person_search"


@access.capability_required(access.PERSON_VIEW)
@require_http_methods(["GET", "POST"])
def person_search(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PersonSearchForm(request.POST)
        query = form.cleaned_data["q"] if form.is_valid() else ""
        request.session[SEARCH_KEY] = query
    else:
        query = request.session.get(SEARCH_KEY, "")
        form = PersonSearchForm(initial={"q": query})
    results = selectors.person_search(_persons(request), query)
    page = Paginator(results.order_by("name", "id_no"), 25).get_page(request.GET.get("page"))
    if request.method == "POST":
        if query and page.paginator.count == 1:
            return redirect("insured:person-detail", pk=page.object_list[0].pk)
        if form.is_valid():
            return redirect("insured:person-search")
    return render(request, "insured/person_search.html", {"form": form, "page": page, "query": query})


@access.capability_required(access.PERSON_VIEW)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = access.scoped_get(_persons(request).prefetch_related("memberships"), request.user, "village", pk=pk)
    today = timezone.localdate()
    show_account = access.has_capability(request.user, access.ACCOUNT_VIEW)
    access_log.record(request.user, [person.pk], access_log.What.ACCOUNT if show_account else access_log.What.PAGE)
    context = {
        "person": person,
        "full_id": access.has_capability(request.user, access.PERSON_FULL_ID),
        "groups": person.memberships.all(),
        "standing": selectors.year_standing(person, today) if show_account else None,
        "years": selectors.account_by_year(person) if show_account else [],
        "balance": selectors.account_balance(person) if show_account else None,
        "history": person_history(person),
        "panels": [
            (panel.template, panel.context(request, person))
            for panel in person_panels()
            if access.has_capability(request.user, panel.capability)
        ],
    }
    return render(request, "insured/person_detail.html", context)


@access.capability_required(access.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    scope = access.scope_region(request.user)
    form = PersonForm(request.POST or None, scope=scope, initial={"enrolled_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(user=request.user, agency_region=scope, **form.cleaned_data)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("%(name)s has been registered.") % {"name": person.name})
            return redirect("insured:person-detail", pk=person.pk)
    return render(request, "insured/person_form.html", {"form": form, "person": None})


@access.capability_required(access.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = access.scoped_get(_persons(request), request.user, "village", pk=pk)
    scope = access.scope_region(request.user)
    form = PersonForm(request.POST or None, instance=person, scope=scope)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "id_no"}
        try:
            services.person_update(person, user=request.user, agency_region=scope, **fields)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect("insured:person-detail", pk=person.pk)
    return render(request, "insured/person_form.html", {"form": form, "person": person})


ACCESS_LOG_KEY = "insured.access_log_person"


@access.capability_required(access.AUDIT_VIEW)
@require_http_methods(["GET", "POST"])
def access_log_page(request: HttpRequest) -> HttpResponse:
    """Who looked at whom, for the auditor: filtered by person (by POST: an ID stays out of the
    URL), by member of staff, by what and by dates."""
    if request.method == "POST":
        person_form = PersonSearchForm(request.POST)
        request.session[ACCESS_LOG_KEY] = person_form.cleaned_data["q"] if person_form.is_valid() else ""
        return redirect("insured:access-log")
    query = request.session.get(ACCESS_LOG_KEY, "")
    filters = AccessLogFilterForm(request.GET or None)
    records = access_log.records_for(request.user)
    if query:
        records = records.filter(person__in=selectors.person_search(_persons(request), query))
    if filters.is_valid():
        records = filters.apply(records)
    context = {
        "person_form": PersonSearchForm(initial={"q": query}),
        "filters": filters,
        "page": Paginator(records, 50).get_page(request.GET.get("page")),
        "query": query,
    }
    return render(request, "insured/access_log.html", context)
