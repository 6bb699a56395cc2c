"""Oversight's tables as files (insured.exports): the progress of the regions below a region and the
coverage counts, each rebuilt for a user from the page's parameters. No person is named in them; the
follow-up lists, which name residents with whole IDs, have their own export (oversight.jobs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext, gettext_lazy

from insured import access
from insured.exports import Column, Kind, ListExport
from insured.models import Region
from oversight.forms import ProgressForm
from oversight.selectors.coverage import coverage_counts
from oversight.selectors.progress import progress_figures


def _region(user: Any, params: Mapping[str, Any]) -> Region | None:
    """The region the page showed, if it is still in the user's scope."""
    scope = access.scope_region(user)
    code = params.get("region") or (scope.code if scope else "")
    return access.scoped(Region.objects.filter(code=code), user, "").first()


def progress_rows(user: Any, params: Mapping[str, Any]) -> list[Any]:
    region = _region(user, params)
    if region is None:
        return []
    form = ProgressForm(dict(params), region=region)
    if not form.is_valid():
        return []
    progress = progress_figures(region, form.cleaned_data["year"], form.cleaned_data["date"])
    return [*progress.lines, progress.total]


def _name(line: Any) -> str:
    return gettext("Total") if line.is_total else line.name


PROGRESS = ListExport(
    kind="oversight.progress",
    label=gettext_lazy("Collection progress"),
    stem="progress",
    columns=lambda user, params: [
        Column(gettext_lazy("Region"), _name, width=22),
        Column(gettext_lazy("Liable"), lambda x: x.now.liable, Kind.NUMBER, width=10),
        Column(gettext_lazy("Persons paid"), lambda x: x.now.paid, Kind.NUMBER, width=10),
        Column(gettext_lazy("Paid rate (%)"), lambda x: x.now.paid_rate, Kind.NUMBER, width=10),
        Column(gettext_lazy("Last year, same date: paid"), lambda x: x.last_year.paid, Kind.NUMBER, width=12),
        Column(gettext_lazy("Last year, same date: rate (%)"), lambda x: x.last_year.paid_rate, Kind.NUMBER, width=12),
        Column(gettext_lazy("Change (points)"), lambda x: x.rate_change, Kind.NUMBER, width=10),
        Column(gettext_lazy("Own contributions (yuan)"), lambda x: x.now.own.amount, Kind.MONEY, width=16),
        Column(gettext_lazy("Government-paid: covered"), lambda x: x.now.covered, Kind.NUMBER, width=10),
        Column(gettext_lazy("Government-paid: members"), lambda x: x.now.members, Kind.NUMBER, width=10),
        Column(gettext_lazy("Government-paid rate (%)"), lambda x: x.now.covered_rate, Kind.NUMBER, width=10),
        Column(gettext_lazy("Back payments (yuan)"), lambda x: x.now.back_payment.amount, Kind.MONEY, width=14),
        Column(gettext_lazy("Sponsorship (yuan)"), lambda x: x.now.sponsorship.amount, Kind.MONEY, width=14),
        Column(gettext_lazy("Collective subsidy (yuan)"), lambda x: x.now.collective.amount, Kind.MONEY, width=14),
        Column(gettext_lazy("Amount arrived (yuan)"), lambda x: x.now.total_amount, Kind.MONEY, width=16),
    ],
    rows=progress_rows,
)


def coverage_rows(user: Any, params: Mapping[str, Any]) -> list[Any]:
    region = _region(user, params)
    if region is None:
        return []
    coverage = coverage_counts(region)
    return [*coverage.lines, coverage.total]


COVERAGE = ListExport(
    kind="oversight.coverage",
    label=gettext_lazy("Coverage"),
    stem="coverage",
    columns=lambda user, params: [
        Column(gettext_lazy("Region"), _name, width=22),
        Column(gettext_lazy("Residents on the extract"), lambda x: x.residents, Kind.NUMBER, width=12),
        Column(gettext_lazy("Should be enrolled"), lambda x: x.eligible, Kind.NUMBER, width=12),
        Column(gettext_lazy("Enrolled"), lambda x: x.enrolled, Kind.NUMBER, width=10),
        Column(gettext_lazy("Not enrolled"), lambda x: x.gap, Kind.NUMBER, width=10),
        Column(gettext_lazy("Enrolled rate"), lambda x: x.rate, Kind.NUMBER, width=10),
        Column(gettext_lazy("Enrolled, moved away or dead"), lambda x: x.reverse, Kind.NUMBER, width=14),
    ],
    rows=coverage_rows,
)

LISTS = (PROGRESS, COVERAGE)
