"""Staff pages: parse, authorise, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from insured import access, access_log, exports, ledger, lists, selectors, services
from insured.forms import AccessLogFilterForm, PersonFilterForm, PersonForm, PersonSearchForm, add_rule_error
from insured.history import person_history
from insured.models import AccountEntry, InsuredPerson
from insured.paging import CappedPaginator
from insured.plugins import PersonPage, SourceLink, person_panels
from insured.plugins import entry_sources as person_entry_sources
from insured.rules import RuleViolation
from insured.selectors import PaymentState


def _persons(request: HttpRequest):
    return access.scoped(InsuredPerson.objects.select_related("village__parent"), request.user, "village")


@access.capability_required(access.PERSON_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    year = timezone.localdate().year
    counts = selectors.region_counts(_persons(request), access.scope_region(request.user), year)
    context = {
        "counts": counts,
        "counts_seconds": settings.REGION_COUNTS_SECONDS,
        "year": year,
        "search_form": PersonSearchForm(),
        "unpaid_url": f"{reverse('insured:person-search')}?status=enrolled&payment={PaymentState.NONE}",
        "paid_url": f"{reverse('insured:person-search')}?payment={PaymentState.OWN}",
        "window": _window(access.scope_region(request.user), timezone.localdate()),
    }
    return render(request, "insured/home.html", context)


def _window(region: Any, today: Any) -> selectors.WindowStatus | None:
    """The counter and the person page say whether the year's collection window is open (004 三)."""
    if region is None or region.level not in ("county", "township", "village"):
        return None
    return selectors.collection_window_status(region.code, today)


# A search may be a resident ID: it travels by POST and is kept in the session, never in a URL
# (so not in access logs or the browser's history). The list's other filters and its pages are
# plain GETs: they name no person.
SEARCH_KEY = "insured.person_search"
PAGE_SIZE = 25


def _list_url(request: HttpRequest) -> str:
    """The list with the filters of this request (no page number)."""
    query = request.GET.copy()
    query.pop("page", None)
    url = reverse("insured:person-search")
    return f"{url}?{query.urlencode()}" if query else url


def _list_params(request: HttpRequest) -> dict[str, Any]:
    """What makes the list: the filters of the query string, the search kept in the session, the year."""
    return {**request.GET.dict(), "q": request.session.get(SEARCH_KEY, ""), "year": timezone.localdate().year}


@access.capability_required(access.PERSON_VIEW)
@require_http_methods(["GET", "POST"])
def person_search(request: HttpRequest) -> HttpResponse:
    """Every person in scope, filtered by township, village, status and this year's contribution,
    in pinyin order, paged; a search (by POST) narrows it and goes straight to a single match."""
    if request.method == "POST":
        form = PersonSearchForm(request.POST)
        query = form.cleaned_data["q"] if form.is_valid() else ""
        request.session[SEARCH_KEY] = query
        if query:
            matches = selectors.person_search(_persons(request), query)
            if matches.count() == 1:
                return redirect("insured:person-detail", pk=matches.get().pk)
        return redirect(_list_url(request))
    params = _list_params(request)
    filters = PersonFilterForm(request.GET, scope=access.scope_region(request.user))
    context = {
        "form": PersonSearchForm(initial={"q": params["q"]}),
        "filters": filters,
        "page": CappedPaginator(lists.person_rows(request.user, params, filters), PAGE_SIZE).get_page(
            request.GET.get("page")
        ),
        "query": params["q"],
        "year": params["year"],
        "sees_contribution": access.has_capability(request.user, access.CONTRIBUTION_VIEW),
        "pinyin": selectors.pinyin_available(),
    }
    return render(request, "insured/person_search.html", context)


@access.capability_required(access.PERSON_VIEW)
@require_GET
def person_export(request: HttpRequest) -> HttpResponse:
    """The list as it stands (search and filters), as an XLSX file; IDs masked."""
    return exports.export(request, lists.PERSONS, _list_params(request), _list_url(request))


# The whole chain of the village: the page names the household registration from the province down.
PERSON_PAGE_RELATED = "village__parent__parent__parent__parent"


@access.capability_required(access.PERSON_VIEW)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    persons = _persons(request).select_related(PERSON_PAGE_RELATED).prefetch_related("memberships")
    person = access.scoped_get(persons, request.user, "village", pk=pk)
    today = timezone.localdate()
    show_account = access.has_capability(request.user, access.ACCOUNT_VIEW)
    access_log.record(request.user, [person.pk], access_log.What.ACCOUNT if show_account else access_log.What.PAGE)
    # The ledger and the year's policy are read once here; the figures, the account and the
    # panels below are all made from them.
    account = selectors.person_account(person) if show_account else None
    policy = selectors.policy_for_or_none(person.village, today.year)
    years = account.by_year() if account else []
    _describe_entries([e for y in years for e in y.entries], request.user)
    standing = selectors.standing_of(today.year, policy, account.person_years.get(today.year)) if account else None
    page = PersonPage(person=person, today=today, account=account)
    context = {
        "person": person,
        "full_id": access.has_capability(request.user, access.PERSON_FULL_ID),
        "groups": person.memberships.all(),
        "contribution": _contribution(request, person, today.year, account),
        "standing": standing,
        "years": years,
        "balance": account.balance if account else None,
        "history": person_history(person),
        "window": selectors.window_status_of(policy, today),
        "panels": [
            (panel.template, panel.context(request, page))
            for panel in person_panels()
            if access.has_capability(request.user, panel.capability)
        ],
    }
    return render(request, "insured/person_detail.html", context)


def _contribution(
    request: HttpRequest, person: InsuredPerson, year: int, account: selectors.PersonAccount | None
) -> selectors.YearContribution | None:
    if not access.has_capability(request.user, access.CONTRIBUTION_VIEW):
        return None
    if account is None:
        return selectors.year_contribution(person, year)
    return selectors.contribution_of(year, account.person_years.get(year))


def _describe_entries(entries: list[AccountEntry], user: Any) -> None:
    sources = _entry_sources(entries, user)
    for entry in entries:
        entry.sources = sources[entry.pk]


def _entry_sources(entries: list[AccountEntry], user: Any) -> dict[int, list[SourceLink]]:
    """What a clerk recognises behind each entry (the apps say: the tax voucher and line, the
    receivable, the application or roster), linked where the user may open it. An entry no app
    describes shows its voucher read from its key, else its source key."""
    described = person_entry_sources(entries)
    out: dict[int, list[SourceLink]] = {}
    for entry in entries:
        links = described.get(entry.pk)
        if not links:
            links = [SourceLink(_source_label(entry.source_key))]
        out[entry.pk] = [
            link if not link.url or access.has_capability(user, link.capability) else SourceLink(link.label)
            for link in links
        ]
    return out


def _source_label(key: str) -> str:
    """What a key names, read from the key itself (insured.ledger's builders)."""
    voucher = ledger.voucher_of(key)
    if voucher is not None:
        return _("e-tax voucher %(voucher)s line %(line)s") % {"voucher": voucher[0], "line": voucher[1]}
    refund = ledger.refund_of(key)
    if refund is not None:
        number, to_fund = refund
        label = _("refund application %(number)s") % {"number": number}
        fund = _("returned to the fund")
        return f"{label}（{fund}）" if to_fund else label
    return key


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
    records = lists.access_rows(request.user, {**request.GET.dict(), "q": query})
    context = {
        "person_form": PersonSearchForm(initial={"q": query}),
        "filters": filters,
        "page": Paginator(records, 50).get_page(request.GET.get("page")),
        "query": query,
    }
    return render(request, "insured/access_log.html", context)


@access.capability_required(access.AUDIT_VIEW)
@require_GET
def access_log_export(request: HttpRequest) -> HttpResponse:
    params = {**request.GET.dict(), "q": request.session.get(ACCESS_LOG_KEY, "")}
    back = f"{reverse('insured:access-log')}?{request.GET.urlencode()}"
    return exports.export(request, lists.ACCESS_LOG, params, back)
