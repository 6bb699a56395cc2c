"""How the apps above payments learn that their receivables were paid or reopened, and how
payments learns which money an app above is holding.

Payments never imports subsidy, collective or refunds. Each of those registers a handler
for its own source type at start-up (in its AppConfig.ready); processing calls the handlers
inside the crediting transaction, so an application and its credit change together.

An app that is paying money back (refunds) registers what it holds: the ledger entries and the
waiting notices on its live applications. Processing then lets no tax reversal take back a held
entry and the queue lets no one assign a held notice, so the same money never leaves twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from django.db import transaction

from payments.models import Receivable

Handler = Callable[[list[Receivable]], None]
# Given ids, the held ones and what holds each (e.g. "退费申请 TF202603010001").
HoldCheck = Callable[[Collection[int]], dict[int, str]]
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


_entry_holds: dict[str, HoldCheck] = {}
_notice_holds: dict[str, HoldCheck] = {}


def register_holds(app: str, *, entries: HoldCheck, notices: HoldCheck) -> None:
    _entry_holds[app] = entries
    _notice_holds[app] = notices


def _held(table: dict[str, HoldCheck], ids: Collection[int]) -> dict[int, str]:
    held: dict[int, str] = {}
    if ids:
        for check in table.values():
            held.update(check(ids))
    return held


def entries_held(entry_ids: Collection[int]) -> dict[int, str]:
    """The ledger entries among these that an app is about to pay back."""
    return _held(_entry_holds, entry_ids)


def notices_held(notice_ids: Collection[int]) -> dict[int, str]:
    """The waiting notices among these that an app is about to pay back."""
    return _held(_notice_holds, notice_ids)


AfterBatch = Callable[[int], None]
_after_batch: dict[str, AfterBatch] = {}


def register_after_batch(app: str, callback: AfterBatch) -> None:
    _after_batch[app] = callback


def batch_processed(batch_pk: int) -> None:
    """Called inside the batch's transaction: each app's callback runs once it has committed
    (never if it rolls back). `robust`: a callback that fails is logged, the batch stays processed."""
    for callback in _after_batch.values():
        # A named function, not a partial: Django names the callback when it logs its failure.
        def after_commit(callback: AfterBatch = callback) -> None:
            callback(batch_pk)

        transaction.on_commit(after_commit, robust=True)
