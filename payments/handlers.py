"""How the apps above payments learn that their receivables were paid or reopened.

Payments never imports subsidy, collective or refunds. Each of those registers a handler
for its own source type at start-up (in its AppConfig.ready); processing calls the handlers
inside the crediting transaction, so an application and its credit change together.
"""

from __future__ import annotations

from collections.abc import Callable

from payments.models import Receivable

Handler = Callable[[list[Receivable]], None]
_on_paid: dict[str, Handler] = {}
_on_reopened: dict[str, Handler] = {}


def register(source_type: str, *, on_paid: Handler, on_reopened: Handler) -> None:
    _on_paid[source_type] = on_paid
    _on_reopened[source_type] = on_reopened


def _dispatch(table: dict[str, Handler], receivable_ids: list[int]) -> None:
    by_source: dict[str, list[Receivable]] = {}
    for receivable in Receivable.objects.filter(pk__in=receivable_ids).order_by("pk"):
        by_source.setdefault(receivable.source_type, []).append(receivable)
    for source_type, receivables in by_source.items():
        handler = table.get(source_type)
        if handler is not None:
            handler(receivables)


def receivables_paid(receivable_ids: list[int]) -> None:
    _dispatch(_on_paid, receivable_ids)


def receivables_reopened(receivable_ids: list[int]) -> None:
    _dispatch(_on_reopened, receivable_ids)
