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

from insured import access, selectors, services
from insured.forms import PersonForm, PersonSearchForm, add_rule_error
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


@access.capability_required(access.PERSON_VIEW)
def person_search(request: HttpRequest) -> HttpResponse:
    form = PersonSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = selectors.person_search(_persons(request), query)
    page = Paginator(results.order_by("name", "id_no"), 25).get_page(request.GET.get("page"))
    if query and page.paginator.count == 1:
        return redirect("insured:person-detail", pk=page.object_list[0].pk)
    return render(request, "insured/person_search.html", {"form": form, "page": page, "query": query})


@access.capability_required(access.PERSON_VIEW)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = access.scoped_get(_persons(request).prefetch_related("memberships"), request.user, "village", pk=pk)
    today = timezone.localdate()
    show_account = access.has_capability(request.user, access.ACCOUNT_VIEW)
    context = {
        "person": person,
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
