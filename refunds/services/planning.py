"""What an application refunds: the money chosen, checked by the rules (insured.rules), the
lines and the amounts computed from it, never typed."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from insured import ledger, rules
from insured.identity import parse_resident_id
from insured.models import AccountEntry, InsuredPerson, Region
from payments.kinds import ENTRY_KIND
from payments.models import ArrivalNotice
from refunds.models import RefundCase, RefundLine

Destination = RefundLine.Destination
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Applicant:
    """Who applies and where the money goes (002 附件2 一: 退费申请, 身份证和银行卡)."""

    applicant_name: str
    applicant_id_no: str
    relation: str
    applicant_phone: str
    bank_name: str
    account_type: str
    account_no: str
    account_name: str
    circumstances: str = ""


@dataclass(frozen=True)
class RefundInput:
    person: InsuredPerson
    case: RefundCase
    entry_ids: tuple[int, ...]
    notice_ids: tuple[int, ...]
    applicant: Applicant


@dataclass(frozen=True)
class PlannedLine:
    entry: AccountEntry | None
    notice: ArrivalNotice | None
    year: int
    kind: str
    amount: Decimal
    destination: str

    @property
    def kind_label(self) -> str:
        return str(AccountEntry.Kind(self.kind).label)


@dataclass(frozen=True)
class Plan:
    """What an application refunds: its lines, computed from the chosen money, never typed."""

    lines: list[PlannedLine]
    applicant: Applicant

    @property
    def payee_amount(self) -> Decimal:
        return sum((x.amount for x in self.lines if x.destination == Destination.PAYEE), ZERO)

    @property
    def fund_amount(self) -> Decimal:
        return sum((x.amount for x in self.lines if x.destination == Destination.FUND), ZERO)

    @property
    def years(self) -> list[int]:
        return sorted({x.year for x in self.lines})


# --- Planning: which money, to whom, by the rules ---------------------------------------------------


def _chosen_entries(person: InsuredPerson, entry_ids: Collection[int], *, lock: bool) -> list[AccountEntry]:
    """The chosen entries with their partners: a payment's subsidy leaves the account with it, and
    a subsidy with its payment (they were credited together, notice_key and subsidy_key)."""
    found = list(AccountEntry.objects.filter(pk__in=entry_ids))
    if len(found) != len(set(entry_ids)):
        rules.check_refund_entry(belongs_to_person=False, already_taken_out=False, reserved_by=None)
    keys = {ledger.main_key(e.source_key) for e in found if e.source_type == ledger.NOTICE}
    partners = ledger.entries_by_key(keys, with_subsidies=True).filter(person=person)
    wanted = {e.pk for e in found} | {e.pk for e in partners}
    entries = AccountEntry.objects.filter(pk__in=wanted).order_by("pk")
    if lock:
        # Two townships choosing the same entry at once queue here; the second then sees the
        # first's line (and the lines' unique constraint refuses it if that were ever missed).
        entries = entries.select_for_update(no_key=True)
    return sorted(entries, key=lambda e: (e.year, e.pk))


def _reserved(field: str, ids: Collection[int], application_id: int | None) -> dict[int, str]:
    live = RefundLine.objects.filter(**{f"{field}__in": ids}, is_live=True)
    if application_id is not None:
        live = live.exclude(application_id=application_id)
    return dict(live.values_list(field, "application__number"))


def _plan_entries(
    person: InsuredPerson, case: RefundCase, entry_ids: Collection[int], *, lock: bool, application_id: int | None
) -> list[PlannedLine]:
    entries = _chosen_entries(person, entry_ids, lock=lock)
    ids = [e.pk for e in entries]
    gone = set(AccountEntry.objects.filter(reverses_id__in=ids).values_list("reverses_id", flat=True))
    reserved = _reserved("entry_id", ids, application_id)
    lines = []
    for e in entries:
        rules.check_refund_entry(
            belongs_to_person=e.person_id == person.pk,
            already_taken_out=e.pk in gone or e.kind not in rules.REFUNDABLE_KINDS,
            reserved_by=reserved.get(e.pk),
        )
        rules.check_refund_kind(
            kind=e.kind,
            kind_label=e.get_kind_display(),
            case_name=case.name,
            kinds_to_payee=set(case.kinds_to_payee),
            kinds_to_fund=set(case.kinds_to_fund),
        )
        destination = Destination.PAYEE if e.kind in case.kinds_to_payee else Destination.FUND
        lines.append(PlannedLine(e, None, e.year, e.kind, e.amount, destination))
    return lines


def _plan_notices(
    person: InsuredPerson, case: RefundCase, notice_ids: Collection[int], *, lock: bool, application_id: int | None
) -> list[PlannedLine]:
    notices = ArrivalNotice.objects.filter(pk__in=notice_ids).order_by("pk")
    if lock:
        # The queue's manual assignment locks the same row: one of the two waits for the other.
        notices = notices.select_for_update(of=("self",))
    notices = list(notices)
    if len(notices) != len(set(notice_ids)):
        rules.check_refund_entry(belongs_to_person=False, already_taken_out=False, reserved_by=None)
    reserved = _reserved("notice_id", [n.pk for n in notices], application_id)
    lines = []
    for n in notices:
        belongs = n.person_id == person.pk or (n.person_id is None and n.insured_id_no == person.id_no)
        rules.check_refund_entry(
            belongs_to_person=belongs,
            already_taken_out=n.state != ArrivalNotice.State.UNMATCHED or n.is_reversal,
            reserved_by=reserved.get(n.pk),
        )
        rules.check_refund_waiting_payment(
            reason=n.reason, reason_label=n.get_reason_display(), allowed=set(case.queue_reasons), case_name=case.name
        )
        kind = ENTRY_KIND[n.kind]
        # A waiting payment was never credited: nothing of it went to the fund, all of it goes back.
        rules.check_refund_kind(
            kind=kind,
            kind_label=n.get_kind_display(),
            case_name=case.name,
            kinds_to_payee=set(case.kinds_to_payee),
            kinds_to_fund=set(),
        )
        lines.append(PlannedLine(None, n, n.year, kind, n.amount, Destination.PAYEE))
    return lines


def _check_settlement(person: InsuredPerson, case: RefundCase, lines: list[PlannedLine]) -> None:
    if not case.settles_account:
        return
    chosen = [x.entry.pk for x in lines if x.entry is not None]
    left = (
        AccountEntry.objects.filter(person=person, kind__in=rules.REFUNDABLE_KINDS, reversed_by__isnull=True)
        .exclude(pk__in=chosen)
        .count()
    )
    rules.check_refund_settles_account(settles_account=True, left_behind=left, case_name=case.name)


def _checked_applicant(person: InsuredPerson, case: RefundCase, applicant: Applicant) -> Applicant:
    """The applicant and the bank account by the rules, normalised as they will be stored."""
    try:
        id_no = parse_resident_id(applicant.applicant_id_no).number
    except ValidationError as exc:
        raise rules.RuleViolation("applicant_id_invalid", exc.messages[0], "applicant_id_no") from None
    name = applicant.applicant_name.strip()
    rules.check_refund_applicant(
        payee=case.payee,
        relation=applicant.relation,
        applicant_id_no=id_no,
        applicant_name=name,
        person_id_no=person.id_no,
        person_name=person.name,
    )
    account_no = "".join(applicant.account_no.split())
    rules.check_bank_account(
        account_type=applicant.account_type,
        account_no=account_no,
        account_name=applicant.account_name,
        payee_name=name,
    )
    return replace(
        applicant,
        applicant_name=name,
        applicant_id_no=id_no,
        account_no=account_no,
        account_name=applicant.account_name.strip(),
        bank_name=applicant.bank_name.strip(),
        circumstances=applicant.circumstances.strip(),
    )


def _plan(data: RefundInput, *, agency_region: Region | None, lock: bool, application_id: int | None = None) -> Plan:
    person, case = data.person, data.case
    if agency_region is not None:
        rules.check_refund_township(
            person_name=person.name,
            township_name=agency_region.name,
            is_in_township=agency_region.contains(person.village),
        )
    if not case.is_active:
        raise rules.RuleViolation("refund_case_retired", _("This refund case is no longer in use."), "case")
    lines = _plan_entries(person, case, data.entry_ids, lock=lock, application_id=application_id)
    lines += _plan_notices(person, case, data.notice_ids, lock=lock, application_id=application_id)
    _check_settlement(person, case, lines)
    plan = Plan(lines, _checked_applicant(person, case, data.applicant))
    rules.check_refund_has_money(plan.payee_amount)
    return plan


def application_check(data: RefundInput, *, agency_region: Region | None) -> Plan:
    """Every rule that can be checked before anything is written, and the amounts computed from
    the chosen money: the intake page shows them before the application is taken."""
    return _plan(data, agency_region=agency_region, lock=False)
