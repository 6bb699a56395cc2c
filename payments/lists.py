"""The payments lists as files (insured.exports): the batches, one batch's notices, the
receivables and the unmatched queue. Each rebuilds its list for a user from the page's parameters,
so the same list is made at once or by a background job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from insured.exports import Column, Kind, ListExport
from insured.history import staff_name
from insured.identity import mask_id_no
from payments import selectors
from payments.forms import ReceivableFilterForm


def batch_rows(user: Any, params: Mapping[str, Any]) -> list[tuple[Any, selectors.BatchFigures]]:
    batches = list(selectors.batches_for(user))
    figures = selectors.batch_figures(user, batches)
    return [(b, figures[b.pk]) for b in batches]


BATCHES = ListExport(
    kind="payments.batches",
    label=gettext_lazy("Arrival notices"),
    stem="batches",
    columns=lambda user, params: [
        Column(gettext_lazy("Batch"), lambda r: r[0].batch_id, width=22),
        Column(gettext_lazy("Tax client"), lambda r: r[0].client.name, width=20),
        Column(gettext_lazy("Source"), lambda r: r[0].get_source_display(), width=10),
        Column(gettext_lazy("Received at"), lambda r: r[0].received_at, Kind.MOMENT, width=20),
        Column(gettext_lazy("Status"), lambda r: r[0].get_status_display(), width=14),
        Column(gettext_lazy("Notices"), lambda r: r[1].notices, Kind.NUMBER, width=10),
        Column(gettext_lazy("Total amount"), lambda r: r[1].total, Kind.MONEY, width=16),
        Column(pgettext_lazy("number of notices", "Credited"), lambda r: r[1].credited, Kind.NUMBER, width=10),
        Column(pgettext_lazy("number of notices", "Duplicates"), lambda r: r[1].duplicates, Kind.NUMBER, width=10),
        Column(pgettext_lazy("number of notices", "Unmatched"), lambda r: r[1].unmatched, Kind.NUMBER, width=10),
        Column(pgettext_lazy("number of notices", "Reversals"), lambda r: r[1].reversed, Kind.NUMBER, width=10),
    ],
    rows=batch_rows,
)


def notice_rows(user: Any, params: Mapping[str, Any]) -> Any:
    """One batch's notices in the user's region (`batch`: its id; the view has found it in scope)."""
    return selectors.notices_for(user).filter(batch_id=int(params["batch"])).order_by("id")


NOTICES = ListExport(
    kind="payments.notices",
    label=gettext_lazy("Arrival notices"),
    stem="notices",
    columns=lambda user, params: [
        Column(gettext_lazy("E-tax voucher"), lambda n: n.voucher_no, width=24),
        Column(gettext_lazy("Line"), lambda n: n.line_no, Kind.NUMBER, width=6),
        Column(gettext_lazy("Kind"), lambda n: n.get_kind_display(), width=14),
        Column(gettext_lazy("Insured person"), lambda n: n.insured_name, width=10),
        Column(gettext_lazy("Resident ID number"), lambda n: mask_id_no(n.insured_id_no), width=20),
        Column(gettext_lazy("Amount"), lambda n: n.amount, Kind.MONEY, width=12),
        Column(gettext_lazy("Year"), lambda n: n.year, Kind.NUMBER, width=6),
        Column(gettext_lazy("Paid at"), lambda n: n.paid_at, Kind.MOMENT, width=20),
        Column(gettext_lazy("Channel"), lambda n: n.get_channel_display(), width=12),
        Column(gettext_lazy("Receivable number"), lambda n: n.receivable_no, width=22),
        Column(gettext_lazy("State"), lambda n: n.get_state_display(), width=14),
        Column(gettext_lazy("Reason"), lambda n: n.get_reason_display() if n.reason else "", width=30),
    ],
    rows=notice_rows,
    person_of=lambda n: n.person_id,
)


def receivable_rows(user: Any, params: Mapping[str, Any]) -> Any:
    return ReceivableFilterForm(params).apply(selectors.receivables_for(user)).select_related("created_by")


RECEIVABLES = ListExport(
    kind="payments.receivables",
    label=gettext_lazy("Receivables"),
    stem="receivables",
    columns=lambda user, params: [
        Column(gettext_lazy("Receivable number"), lambda r: r.number, width=22),
        Column(gettext_lazy("Kind"), lambda r: r.get_kind_display(), width=14),
        Column(gettext_lazy("Insured person"), lambda r: r.person.name, width=10),
        Column(gettext_lazy("Resident ID number"), lambda r: r.person.masked_id_no, width=20),
        Column(gettext_lazy("Township"), lambda r: r.person.village.parent.name, width=12),
        Column(gettext_lazy("Village"), lambda r: r.person.village.name, width=12),
        Column(gettext_lazy("Payer"), lambda r: r.payer_name, width=16),
        Column(gettext_lazy("Year"), lambda r: r.year, Kind.NUMBER, width=6),
        Column(gettext_lazy("Amount"), lambda r: r.amount, Kind.MONEY, width=12),
        Column(gettext_lazy("Due date"), lambda r: r.due_date, Kind.DAY, width=16),
        Column(gettext_lazy("Status"), lambda r: r.get_status_display(), width=14),
        Column(gettext_lazy("Made by"), lambda r: staff_name(r.created_by) if r.created_by else "", width=10),
    ],
    rows=receivable_rows,
    person_of=lambda r: r.person_id,
)


def _pending(item: selectors.QueueItem) -> str:
    if item.pending is None:
        return ""
    return _("to %(name)s, proposed by %(who)s") % {
        "name": item.pending.person.name,
        "who": staff_name(item.pending.proposed_by),
    }


QUEUE = ListExport(
    kind="payments.queue",
    label=gettext_lazy("Unmatched payments"),
    stem="unmatched",
    columns=lambda user, params: [
        Column(gettext_lazy("Paid at"), lambda i: i.notice.paid_at, Kind.MOMENT, width=20),
        Column(gettext_lazy("Waiting days"), lambda i: i.waiting_days, Kind.NUMBER, width=8),
        Column(gettext_lazy("Due"), lambda i: i.due_on, Kind.DAY, width=16),
        Column(gettext_lazy("Overdue"), lambda i: _("yes") if i.is_overdue else "", width=8),
        Column(gettext_lazy("E-tax voucher"), lambda i: i.notice.voucher_no, width=24),
        Column(gettext_lazy("Line"), lambda i: i.notice.line_no, Kind.NUMBER, width=6),
        Column(gettext_lazy("Receivable number"), lambda i: i.notice.receivable_no, width=22),
        Column(gettext_lazy("Kind"), lambda i: i.notice.get_kind_display(), width=14),
        Column(gettext_lazy("Insured person as tax reported"), lambda i: i.notice.insured_name, width=12),
        Column(gettext_lazy("Resident ID number"), lambda i: mask_id_no(i.notice.insured_id_no), width=20),
        Column(gettext_lazy("Amount"), lambda i: i.notice.amount, Kind.MONEY, width=12),
        Column(gettext_lazy("Reason"), lambda i: i.notice.get_reason_display(), width=30),
        Column(gettext_lazy("What resolves it"), lambda i: i.remedy.advice, width=50),
        Column(gettext_lazy("Assignment waiting for confirmation"), _pending, width=30),
    ],
    rows=lambda user, params: selectors.unmatched_queue(user),
    person_of=lambda i: i.notice.person_id,
)

LISTS = (BATCHES, NOTICES, RECEIVABLES, QUEUE)
