"""Reads of refunds, always cut to the user's region through the insured person's village: the
township office sees its township's applications, county staff the county's; anything outside is
simply not found."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext as _

from insured import access, ledger, rules
from insured.history import staff_name
from insured.identity import normalize_id_no
from insured.models import AccountEntry, InsuredPerson, Region
from insured.printing.forms import month_bounds
from insured.workdays import WorkCalendar
from payments.models import ArrivalNotice
from payments.selectors import person_waiting_notices
from refunds.models import RefundApplication, RefundCase, RefundLine, RefundRequest, RefundTaxReport

REGION_PATH = "person__village"
Status = RefundApplication.Status
SUBSIDY_KINDS = {AccountEntry.Kind.GOVERNMENT_SUBSIDY, AccountEntry.Kind.SUPPLEMENTARY_SUBSIDY}


def applications_for(user: Any) -> QuerySet[RefundApplication]:
    return access.scoped(
        RefundApplication.objects.select_related(
            "person__village__parent",
            "township",
            "case",
            "received_by",
            "corrected_by",
            "first_reviewed_by",
            "handed_over_by",
            "reviewed_by",
            "result_recorded_by",
            "withdrawn_by",
            "request",
            "tax_report",
        ),
        user,
        REGION_PATH,
    )


def application_get(user: Any, pk: int) -> RefundApplication:
    return access.scoped_get(applications_for(user), user, REGION_PATH, pk=pk)


def application_lines(application: RefundApplication) -> list[RefundLine]:
    return list(application.lines.select_related("entry", "notice").order_by("year", "id"))


def status_counts(user: Any) -> dict[str, int]:
    rows = applications_for(user).order_by().values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


@dataclass(frozen=True)
class Steps:
    """Which steps of the flow a user may take (the view reads them from the user's capabilities)."""

    enter: bool = False
    first_review: bool = False
    review: bool = False
    finance: bool = False


def work_for(user: Any, steps: Steps) -> QuerySet[RefundApplication]:
    """What waits for this user's next step, oldest first; never a step on one's own work."""
    mine = applications_for(user).none()
    apps = applications_for(user)
    if steps.first_review:
        mine |= apps.filter(status=Status.RECEIVED).exclude(received_by=user).exclude(corrected_by=user)
        mine |= apps.filter(status=Status.FIRST_REVIEWED)
    if steps.enter:
        mine |= apps.filter(status__in=[Status.RETURNED, Status.PAYMENT_FAILED])
    if steps.review:
        mine |= (
            apps.filter(status=Status.HANDED_OVER)
            .exclude(received_by=user)
            .exclude(first_reviewed_by=user)
            .exclude(corrected_by=user)
        )
    if steps.finance:
        mine |= apps.filter(status__in=[Status.APPROVED, Status.REQUESTED])
    return mine.order_by("received_at", "id")


def person_in_scope(user: Any, id_no: str) -> InsuredPerson | None:
    persons = access.scoped(InsuredPerson.objects.select_related("village__parent"), user, "village")
    return persons.filter(id_no=normalize_id_no(id_no)).first()


def person_get(user: Any, pk: int) -> InsuredPerson:
    return access.scoped_get(InsuredPerson.objects.select_related("village__parent"), user, "village", pk=pk)


def active_cases() -> QuerySet[RefundCase]:
    return RefundCase.objects.filter(is_active=True)


# --- What can be chosen for a refund ----------------------------------------------------------------


@dataclass
class Choice:
    """A payment in the account with the subsidy credited beside it; they leave together."""

    entry: AccountEntry
    partners: list[AccountEntry] = field(default_factory=list)
    gone: str = ""  # refunded or reversed
    reserved_by: str = ""  # the live application holding it

    @property
    def is_available(self) -> bool:
        return not self.gone and not self.reserved_by

    @property
    def total(self) -> Decimal:
        return self.entry.amount + sum((p.amount for p in self.partners), Decimal("0.00"))


@dataclass
class YearChoices:
    year: int
    choices: list[Choice]


@dataclass
class WaitingChoice:
    notice: ArrivalNotice
    reserved_by: str = ""


def refund_choices(person: InsuredPerson) -> list[YearChoices]:
    """The person's account as the intake page offers it: each payment with its subsidy, and
    whether it has left already or is on a live application."""
    entries = list(person.entries.exclude(kind__in=[rules.REFUND, rules.REVERSAL]).order_by("-year", "posted_at", "id"))
    ids = [e.pk for e in entries]
    gone = dict(AccountEntry.objects.filter(reverses_id__in=ids).values_list("reverses_id", "kind"))
    reserved = dict(
        RefundLine.objects.filter(entry_id__in=ids, is_live=True).values_list("entry_id", "application__number")
    )
    mains: dict[str, Choice] = {}
    partners: list[AccountEntry] = []
    for e in entries:
        if e.kind in SUBSIDY_KINDS and e.source_key.endswith(ledger.SUBSIDY_SUFFIX):
            partners.append(e)
            continue
        choice = Choice(e, gone=_gone_label(gone.get(e.pk)), reserved_by=reserved.get(e.pk, ""))
        mains[e.source_key] = choice
    for p in partners:
        main = mains.get(ledger.main_key(p.source_key))
        if main is not None:
            main.partners.append(p)
        else:  # a subsidy without its payment: offered on its own
            mains[p.source_key] = Choice(p, gone=_gone_label(gone.get(p.pk)), reserved_by=reserved.get(p.pk, ""))
    by_year: dict[int, list[Choice]] = {}
    for choice in mains.values():
        by_year.setdefault(choice.entry.year, []).append(choice)
    return [YearChoices(year, by_year[year]) for year in sorted(by_year, reverse=True)]


def _gone_label(kind: str | None) -> str:
    if kind is None:
        return ""
    return _("refunded") if kind == rules.REFUND else _("reversed")


def waiting_choices(person: InsuredPerson) -> list[WaitingChoice]:
    notices = list(person_waiting_notices(person.pk, person.id_no))
    reserved = dict(
        RefundLine.objects.filter(notice__in=notices, is_live=True).values_list("notice_id", "application__number")
    )
    return [WaitingChoice(n, reserved.get(n.pk, "")) for n in notices]


# --- The township's hand-over, the county's requests and reports --------------------------------------


@dataclass(frozen=True)
class HandOver:
    applications: list[RefundApplication]
    today: dt.date
    deadline: dt.date
    batch_month: dt.date


def hand_over_preview(user: Any, today: dt.date) -> HandOver:
    calendar = WorkCalendar(today.replace(day=1), today + dt.timedelta(days=40))
    return HandOver(
        applications=list(applications_for(user).filter(status=Status.FIRST_REVIEWED).order_by("received_at")),
        today=today,
        deadline=rules.refund_handover_deadline(today.year, today.month, calendar),
        batch_month=rules.refund_batch_month(today, calendar),
    )


def requests_for(user: Any) -> QuerySet[RefundRequest]:
    return access.scoped(RefundRequest.objects.select_related("region", "created_by"), user, "region")


def request_get(user: Any, pk: int) -> RefundRequest:
    return access.scoped_get(requests_for(user), user, "region", pk=pk)


def request_applications(request: RefundRequest) -> list[RefundApplication]:
    return list(
        request.applications.select_related("person__village__parent", "case", "township")
        .prefetch_related(Prefetch("lines", queryset=RefundLine.objects.order_by("year", "id")))
        .order_by("township__code", "number")
    )


@dataclass(frozen=True)
class MonthWaiting:
    month: dt.date
    applications: list[RefundApplication]

    @property
    def payee_total(self) -> Decimal:
        return sum((a.payee_amount for a in self.applications), Decimal("0.00"))


def waiting_for_request(user: Any) -> list[MonthWaiting]:
    """Approved applications by the month whose request they join."""
    months: dict[dt.date, list[RefundApplication]] = {}
    for a in applications_for(user).filter(status=Status.APPROVED).order_by("batch_month", "number"):
        months.setdefault(a.batch_month, []).append(a)
    return [MonthWaiting(month, apps) for month, apps in months.items()]


def reports_for(user: Any) -> QuerySet[RefundTaxReport]:
    return access.scoped(RefundTaxReport.objects.select_related("region", "created_by"), user, "region")


def report_get(user: Any, pk: int) -> RefundTaxReport:
    return access.scoped_get(reports_for(user), user, "region", pk=pk)


def unreported(user: Any) -> QuerySet[RefundApplication]:
    return applications_for(user).filter(status=Status.PAID, tax_report__isnull=True).order_by("paid_on", "number")


def person_refunds(person: InsuredPerson) -> QuerySet[RefundApplication]:
    return person.refunds.select_related("case").order_by("-received_at")


def county_of(user: Any) -> Region | None:
    """The county a finance or county user works for: their scope region."""
    region = access.scope_region(user)
    return region if region is not None and region.level == Region.Level.COUNTY else None


# --- The steps, from the change history ----------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    label: str
    who: str
    when: dt.datetime
    note: str


def application_steps(application: RefundApplication) -> list[Step]:
    """Every change of state, oldest first, with who made it and the reason given, from the
    history (an application returned and corrected goes round more than once)."""
    records = list(application.history.select_related("history_user").order_by("history_date", "history_id"))
    steps: list[Step] = []
    previous = None
    for r in records:
        if previous is None or r.status != previous.status:
            note = ""
            if r.status == Status.RETURNED:
                note = r.return_reason
            elif r.status == Status.PAYMENT_FAILED:
                note = r.failure_reason
            elif r.status == Status.PAID:
                note = _("paid on %(day)s, bank reference %(ref)s") % {"day": r.paid_on, "ref": r.bank_reference}
            elif r.status == Status.HANDED_OVER and r.batch_month:
                note = _("joins the request of %(month)s") % {"month": f"{r.batch_month:%Y-%m}"}
            label = Status(r.status).label
            if previous is not None and r.status == Status.RECEIVED:
                label = _("corrected by the township, waiting for the first review again")
            steps.append(Step(str(label), staff_name(r.history_user), r.history_date, note))
        previous = r
    return steps


def applications_to_print(user: Any, filters: dict[str, Any]) -> QuerySet[RefundApplication]:
    """A month's refund applications (received then), in one state or all, in the order they were
    received: what the auditor prints as one batch."""
    start, end = month_bounds(filters["month"])
    applications = applications_for(user).filter(received_at__gte=start, received_at__lt=end)
    if filters.get("status"):
        applications = applications.filter(status=filters["status"])
    return applications.order_by("received_at", "id")
