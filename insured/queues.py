"""The list of a maker-checker application (sponsorship, back payment): a tab for each status, the
reviewer's own queue (submitted by someone else: never one's own entry) and all, counted with one
query, and the page of the tab shown, whose count is the tab's. Each count joins every person of
the user's scope, so the list once counted the same rows three times (docs/benchmarks.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from insured import access

REVIEW_TAB = "review"
ALL_TAB = "all"
PER_PAGE = 50

Tab = tuple[str, Any, int]  # (tab, label, how many)


def shown_tab(params: Mapping[str, Any], *, statuses: Any, can_review: bool) -> str:
    """The tab asked for (`statuses`: the application's Status choices); reviewers land on their
    queue, everyone else on all."""
    status = params.get("status") or (REVIEW_TAB if can_review else ALL_TAB)
    if status == REVIEW_TAB and can_review:
        return REVIEW_TAB
    return status if status in statuses.values else ALL_TAB


def list_context(
    user: Any, params: Mapping[str, Any], *, in_scope: QuerySet, rows: QuerySet, statuses: Any, review: str
) -> dict[str, Any]:
    """What a list page shows: the tab shown, every tab counted, and the page of `rows` (the shown
    tab's applications) asked for. `in_scope`: the user's applications; `review`: the capability of
    the reviewers."""
    can_review = access.has_capability(user, review)
    shown = shown_tab(params, statuses=statuses, can_review=can_review)
    tabs = status_tabs(in_scope, user, submitted=statuses.SUBMITTED, choices=statuses.choices, can_review=can_review)
    return {"page": tab_page(rows, tabs, shown, params.get("page")), "status": shown, "tabs": tabs}


def status_tabs(
    in_scope: QuerySet, user: Any, *, submitted: str, choices: Iterable[tuple[str, Any]], can_review: bool
) -> list[Tab]:
    """The tabs of `in_scope` (the user's applications) with their counts, from one GROUP BY: each
    status, and what waits for this user's review as a filtered count of the submitted ones."""
    rows = list(
        in_scope.order_by().values("status").annotate(n=Count("pk"), own=Count("pk", filter=Q(submitted_by=user)))
    )
    counts = {row["status"]: row["n"] for row in rows}
    tabs: list[Tab] = []
    if can_review:
        waiting = sum(row["n"] - row["own"] for row in rows if row["status"] == submitted)
        tabs.append((REVIEW_TAB, _("Waiting for my review"), waiting))
    tabs += [(value, label, counts.get(value, 0)) for value, label in choices]
    tabs.append((ALL_TAB, _("All"), sum(counts.values())))
    return tabs


def tab_page(rows: QuerySet, tabs: list[Tab], shown: str, number: Any) -> Page:
    """The page asked for of the tab shown; the pager is told the tab's count, not asked again."""
    paginator = Paginator(rows, PER_PAGE)
    paginator.count = next(n for tab, _label, n in tabs if tab == shown)
    return paginator.get_page(number)
