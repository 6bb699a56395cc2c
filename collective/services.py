"""Every write of collective subsidy and social sponsorship (notice 001). The rules are
insured.rules'; the cap is reserved only through insured.ledger; receivables go through
payments.services."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from collective import rosters
from collective.models import Filing, Organisation, Roster, RosterRow
from insured import ledger, numbering, rules
from insured.identity import parse_resident_id, validate_uscc
from insured.models import Region
from insured.rules import RuleViolation
from insured.spreadsheets import RowError, Sheet, SpreadsheetError, error_sheet, read
from insured.workdays import WorkCalendar
from payments import services as payment_services
from payments.models import Receivable

Status = Roster.Status
ROW_SOURCE_TYPE = "collective.roster_row"
FILING_PREFIX = "BA"  # 备案
ROSTER_PREFIX = "SB"  # 申报
# Read back from paper and typed by hand: no 0/O, 1/I/L, U/V look-alikes.
CHECK_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"


def check_code_for(*parts: Any) -> str:
    """A code printed on the forms: the agency can look it up to confirm a printout is genuine, and it
    cannot be made up without the server's secret (as on the sponsorship form)."""
    message = "|".join(str(p) for p in parts).encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    value = int.from_bytes(digest[:8], "big")
    code = []
    for _position in range(8):
        value, index = divmod(value, len(CHECK_CODE_ALPHABET))
        code.append(CHECK_CODE_ALPHABET[index])
    return "".join(code)


def _save(obj: Any, user: AbstractBaseUser | None) -> None:
    obj._history_user = user
    obj.save()


def _field_error(field: str, exc: ValidationError) -> RuleViolation:
    return RuleViolation(exc.code or "invalid", exc.messages[0], field)


# --- The organisation 集体经济组织 ------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationInput:
    name: str
    uscc: str
    village: Region
    address: str
    legal_person_name: str
    legal_person_id_no: str
    legal_person_phone: str
    handler_name: str
    handler_id_no: str
    handler_phone: str
    taxpayer_id: str
    bank_name: str
    bank_account: str


def _organisation_fields(data: OrganisationInput) -> dict[str, Any]:
    try:
        uscc = validate_uscc(data.uscc)
    except ValidationError as exc:
        raise _field_error("uscc", exc) from None
    ids = {}
    for field in ("legal_person_id_no", "handler_id_no"):
        try:
            ids[field] = parse_resident_id(getattr(data, field)).number
        except ValidationError as exc:
            raise _field_error(field, exc) from None
    if data.village.level != Region.Level.VILLAGE:
        raise RuleViolation("not_a_village", _("A collective organisation belongs to a village."), "village")
    return {
        "name": data.name.strip(),
        "uscc": uscc,
        "village": data.village,
        "address": data.address.strip(),
        "legal_person_name": data.legal_person_name.strip(),
        "legal_person_phone": data.legal_person_phone.strip(),
        "handler_name": data.handler_name.strip(),
        "handler_phone": data.handler_phone.strip(),
        # The virtual unit's taxpayer number is the credit code unless tax gave another (附件1 四(二)3).
        "taxpayer_id": (data.taxpayer_id or "").strip().upper() or uscc,
        "bank_name": data.bank_name.strip(),
        "bank_account": data.bank_account.replace(" ", ""),
        **ids,
    }


def organisation_register(data: OrganisationInput, *, user: AbstractBaseUser) -> Organisation:
    """The village registers its organisation once (001 附件1 四(一)); it files only after the county
    has recorded the virtual unit code tax gave it."""
    organisation = Organisation(created_by=user, **_organisation_fields(data))
    try:
        with transaction.atomic():
            _save(organisation, user)
    except IntegrityError:
        raise RuleViolation(
            "uscc_taken",
            _("An organisation with unified social credit code %(code)s is already registered.")
            % {"code": organisation.uscc},
            "uscc",
        ) from None
    return organisation


@transaction.atomic
def organisation_update(organisation: Organisation, data: OrganisationInput, *, user: AbstractBaseUser) -> Organisation:
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    fields = _organisation_fields(data)
    if fields["village"] != locked.village and locked.filings.exists():
        raise RuleViolation("village_fixed", _("The organisation has filings; its village cannot change."), "village")
    for name, value in fields.items():
        setattr(locked, name, value)
    try:
        with transaction.atomic():
            _save(locked, user)
    except IntegrityError:
        raise RuleViolation(
            "uscc_taken",
            _("An organisation with unified social credit code %(code)s is already registered.")
            % {"code": locked.uscc},
            "uscc",
        ) from None
    return locked


@transaction.atomic
def organisation_record_virtual_unit(organisation: Organisation, *, code: str, user: AbstractBaseUser) -> Organisation:
    """The county records the code of the virtual unit tax set up (001 附件1 四(二)); only then may the
    village file (四(一): 新建立的村组在税务端同步前，不能进行人员新增)."""
    code = (code or "").strip().upper()
    rules.check_virtual_unit_recorded(code)
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    locked.virtual_unit_code = code
    locked.virtual_unit_recorded_at, locked.virtual_unit_recorded_by = timezone.now(), user
    _save(locked, user)
    return locked


# --- Filings -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanInput:
    """The year's plan 备案 (001 附件5) and its resolution 四议两公开 (二(四))."""

    year: int
    proposed_on: dt.date | None
    resolved_on: dt.date | None
    attendance_expected: int | None
    attendance_present: int | None
    publicity_from: dt.date | None
    publicity_to: dt.date | None
    standard: Decimal
    hardship_standard: Decimal | None
    planned_count: int
    planned_total: Decimal
    declares_not_land_acquired: bool
    minutes: bytes | None = None
    minutes_name: str = ""


def _check_plan(data: PlanInput, today: dt.date) -> None:
    rules.check_filing_year(data.year, today)
    rules.check_resolution(
        resolved_on=data.resolved_on, publicity_from=data.publicity_from, publicity_to=data.publicity_to, today=today
    )
    if data.proposed_on and data.resolved_on and data.proposed_on > data.resolved_on:
        raise RuleViolation(
            "resolution_order",
            _("Notice 001 section 2(4): the proposal comes before the members' meeting resolves it."),
            "proposed_on",
        )
    if (
        data.attendance_expected
        and data.attendance_present is not None
        and (data.attendance_present > data.attendance_expected)
    ):
        raise RuleViolation(
            "attendance_invalid", _("More members present than expected at the meeting."), "attendance_present"
        )
    rules.check_amount(data.standard)
    if data.hardship_standard is not None:
        rules.check_amount(data.hardship_standard)
    rules.check_amount(data.planned_total)
    rules.check_not_land_acquired_subsidy(data.declares_not_land_acquired)  # 001 二(三)


def _plan_fields(data: PlanInput) -> dict[str, Any]:
    return {
        "year": data.year,
        "proposed_on": data.proposed_on,
        "resolved_on": data.resolved_on,
        "attendance_expected": data.attendance_expected,
        "attendance_present": data.attendance_present,
        "publicity_from": data.publicity_from,
        "publicity_to": data.publicity_to,
        "standard": data.standard,
        "hardship_standard": data.hardship_standard,
        "planned_count": data.planned_count,
        "planned_total": data.planned_total,
        "declares_not_land_acquired": data.declares_not_land_acquired,
    }


def filing_create(
    organisation: Organisation, data: PlanInput, *, user: AbstractBaseUser, today: dt.date | None = None
) -> Filing:
    """The village files its plan for the year (一年一策), with the minutes of its resolution."""
    today = today or timezone.localdate()
    organisation = Organisation.objects.select_related("village").get(pk=organisation.pk)  # as recorded now
    rules.check_virtual_unit_recorded(organisation.virtual_unit_code)  # 001 附件1 四(一)
    _check_plan(data, today)
    if Filing.objects.filter(organisation=organisation, year=data.year).exists():
        raise RuleViolation(
            "plan_exists",
            _("Notice 001 section 2(2) (一年一策): %(org)s has already filed its plan for %(year)s; change that one.")
            % {"org": organisation.name, "year": data.year},
            "year",
        )

    def build(number: str) -> Filing:
        filing = Filing(
            number=number,
            kind=Filing.Kind.COLLECTIVE,
            region=organisation.village,
            organisation=organisation,
            filed_on=today,
            created_by=user,
            **_plan_fields(data),
        )
        if data.minutes is not None:
            filing.minutes.save(data.minutes_name or "minutes", ContentFile(data.minutes), save=False)
            filing.minutes_name = data.minutes_name
        filing._history_user = user
        return filing

    try:
        return numbering.create_numbered(Filing, FILING_PREFIX, 4, build)
    except IntegrityError:
        raise RuleViolation(
            "plan_exists",
            _("Notice 001 section 2(2) (一年一策): %(org)s has already filed its plan for %(year)s; change that one.")
            % {"org": organisation.name, "year": data.year},
            "year",
        ) from None


@transaction.atomic
def filing_update(filing: Filing, data: PlanInput, *, user: AbstractBaseUser, today: dt.date | None = None) -> Filing:
    """The plan may change while no roster under it has been approved."""
    today = today or timezone.localdate()
    locked = Filing.objects.select_for_update().get(pk=filing.pk)
    if locked.kind != Filing.Kind.COLLECTIVE:
        raise RuleViolation("wrong_kind", _("Only a collective organisation's plan has these fields."))
    if data.year != locked.year:
        raise RuleViolation("year_fixed", _("The year of a filing cannot change."), "year")
    if locked.rosters.filter(status__in=Roster.APPROVED_STATES).exists():
        raise RuleViolation(
            "plan_fixed", _("A roster under this plan has been approved; the plan can no longer change.")
        )
    _check_plan(data, today)
    for name, value in _plan_fields(data).items():
        setattr(locked, name, value)
    if data.minutes is not None:
        locked.minutes.save(data.minutes_name or "minutes", ContentFile(data.minutes), save=False)
        locked.minutes_name = data.minutes_name
    _save(locked, user)
    return locked


@dataclass(frozen=True)
class SponsorInput:
    """A company, charity or person sponsoring residents (001 附件2)."""

    sponsor_kind: str
    sponsor_name: str
    sponsor_code: str
    sponsor_phone: str
    sponsor_address: str
    year: int


def _sponsor_code(kind: str, code: str) -> str:
    try:
        if kind == Filing.SponsorKind.PERSON:
            return parse_resident_id(code).number
        return validate_uscc(code)
    except ValidationError as exc:
        raise _field_error("sponsor_code", exc) from None


def social_filing_create(
    data: SponsorInput, *, user: AbstractBaseUser, agency_region: Region, today: dt.date | None = None
) -> Filing:
    """The county agency takes a social sponsorship at its window (001 附件2 一)."""
    today = today or timezone.localdate()
    rules.check_filing_year(data.year, today)
    if data.sponsor_kind not in Filing.SponsorKind.values:
        raise RuleViolation("sponsor_kind_invalid", _("Choose the kind of sponsor."), "sponsor_kind")
    if not data.sponsor_name.strip():
        raise RuleViolation("sponsor_name_missing", _("Give the sponsor's name."), "sponsor_name")
    code = _sponsor_code(data.sponsor_kind, data.sponsor_code)

    def build(number: str) -> Filing:
        filing = Filing(
            number=number,
            kind=Filing.Kind.SOCIAL,
            year=data.year,
            region=agency_region,
            sponsor_kind=data.sponsor_kind,
            sponsor_name=data.sponsor_name.strip(),
            sponsor_code=code,
            sponsor_phone=data.sponsor_phone.strip(),
            sponsor_address=data.sponsor_address.strip(),
            declares_not_land_acquired=True,  # 二(三) concerns village money only
            filed_on=today,
            created_by=user,
        )
        filing._history_user = user
        return filing

    return numbering.create_numbered(Filing, FILING_PREFIX, 4, build)


# --- Rosters: upload -------------------------------------------------------------------------------


class RosterInvalid(Exception):
    """A file with any error: nothing of it is saved. `errors` row by row (row None for the file),
    `sheet` the file as read (None when it could not be read), for the error sheet."""

    def __init__(self, errors: list[RowError], sheet: Sheet | None = None) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors
        self.sheet = sheet

    def error_sheet(self):
        return error_sheet(self.sheet, self.errors) if self.sheet is not None else None


@dataclass(frozen=True)
class UploadResult:
    roster: Roster | None  # None on a dry run
    count: int
    total: Decimal


def roster_read(content: bytes, filename: str) -> Sheet:
    try:
        return read(content, filename, rosters.LAYOUT)
    except SpreadsheetError as exc:
        raise RosterInvalid([exc.as_row_error()]) from None


def roster_upload(
    filing: Filing,
    content: bytes,
    filename: str,
    *,
    user: AbstractBaseUser,
    dry_run: bool = False,
    today: dt.date | None = None,
    progress: rosters.Progress | None = None,
    sheet: Sheet | None = None,
) -> UploadResult:
    """Check an uploaded roster row by row and, when every row passes and this is no dry run, save it
    as the filing's roster waiting to be submitted (replacing one that waited). A file with any error
    raises RosterInvalid and nothing is saved."""
    today = today or timezone.localdate()
    sheet = sheet or roster_read(content, filename)
    check = rosters.check_sheet(sheet, filing, today=today, progress=progress or rosters._no_progress)
    if not check.ok:
        raise RosterInvalid(check.errors, sheet)
    if dry_run:
        return UploadResult(None, check.count, check.total)
    roster = _roster_save(filing, check, content=content, filename=filename, user=user)
    return UploadResult(roster, roster.row_count, roster.total)


@transaction.atomic
def _roster_save(
    filing: Filing, check: rosters.RosterCheck, *, content: bytes, filename: str, user: AbstractBaseUser
) -> Roster:
    # The filing's row is the lock two uploads at once queue on: the later replaces the earlier.
    Filing.objects.select_for_update().get(pk=filing.pk)
    for draft in Roster.objects.select_for_update().filter(filing=filing, status=Status.DRAFT):
        draft.status = Status.DISCARDED
        _save(draft, user)

    def build(number: str) -> Roster:
        roster = Roster(
            number=number,
            check_code=check_code_for(number, filing.number, check.count, f"{check.total:.2f}"),
            filing=filing,
            row_count=check.count,
            total=check.total,
            source_name=filename[:200],
            uploaded_by=user,
        )
        roster.source_file.save(filename or "roster", ContentFile(content), save=False)
        roster._history_user = user
        return roster

    roster = numbering.create_numbered(Roster, ROSTER_PREFIX, 4, build)
    rosters.save_rows(roster, check.rows)
    return roster


# --- Rosters: the steps ------------------------------------------------------------------------------


def _locked(roster: Roster, *expected: str) -> Roster:
    locked = (
        Roster.objects.select_for_update(of=("self",))
        .select_related("filing__organisation__village", "filing__region")
        .get(pk=roster.pk)
    )
    if locked.status not in expected:
        raise RuleViolation(
            "wrong_state",
            _("This roster is %(status)s; the step cannot be taken now.") % {"status": locked.get_status_display()},
        )
    return locked


class RosterRefused(RuleViolation):
    """A step refused because rows no longer pass: the first rows' messages, and all the errors."""

    def __init__(self, errors: list[RowError]) -> None:
        shown = "；".join(_row_message(e) for e in errors[:5])
        more = _("(and %(n)s more)") % {"n": len(errors) - 5} if len(errors) > 5 else ""
        super().__init__(errors[0].code, f"{shown}{more}")
        self.errors = errors


def _row_message(error: RowError) -> str:
    if error.row is None:
        return error.message
    return _("No. %(seq)s: %(message)s") % {"seq": error.row, "message": error.message}


def _recheck(roster: Roster, today: dt.date, *, with_cap: bool = True) -> None:
    check = rosters.check_rows(
        rosters.inputs_of_roster(roster), roster.filing, today=today, exclude=roster, with_cap=with_cap
    )
    if not check.ok:
        raise RosterRefused(check.errors)


@transaction.atomic
def roster_submit(roster: Roster, *, user: AbstractBaseUser, today: dt.date | None = None) -> Roster:
    """The village submits its checked roster to the county; every rule is checked again, and the
    first review is due 3 working days later (001 附件1 三)."""
    today = today or timezone.localdate()
    locked = _locked(roster, Status.DRAFT)
    _recheck(locked, today)
    calendar = WorkCalendar(today, today + dt.timedelta(days=40))
    locked.status = Status.SUBMITTED
    locked.submitted_by, locked.submitted_at = user, timezone.now()
    locked.first_review_due_on = rules.first_review_due_on(today, calendar)
    _save(locked, user)
    return locked


@transaction.atomic
def roster_review(roster: Roster, *, user: AbstractBaseUser, today: dt.date | None = None) -> Roster:
    """The county's first review 初审 (001 附件1 三): never by the person who entered the roster."""
    today = today or timezone.localdate()
    locked = _locked(roster, Status.SUBMITTED)
    rules.check_maker_checker(
        locked.uploaded_by_id, user.pk, _("The person who entered a roster cannot also review it; ask a colleague.")
    )
    rules.check_maker_checker(
        locked.submitted_by_id, user.pk, _("The person who entered a roster cannot also review it; ask a colleague.")
    )
    _recheck(locked, today)
    locked.status = Status.REVIEWED
    locked.reviewed_by, locked.reviewed_at = user, timezone.now()
    _save(locked, user)
    return locked


@transaction.atomic
def roster_approve(roster: Roster, *, user: AbstractBaseUser, today: dt.date | None = None) -> Roster:
    """Approval 核定 by another person than the first reviewer (001 附件1 四(三)): every row is reserved
    against the cap under the person-year locks, taken in key order, so two approvals for the same
    persons at once never pass it together; a row that no longer fits refuses the approval with its
    序号 and nothing is reserved. Then one receivable per row goes to tax under the payer's code."""
    today = today or timezone.localdate()
    locked = _locked(roster, Status.REVIEWED)
    for maker in (locked.reviewed_by_id, locked.uploaded_by_id, locked.submitted_by_id):
        rules.check_maker_checker(
            maker,
            user.pk,
            _("The approval is another person's than the first review's and the entry's; ask a colleague."),
        )
    _recheck(locked, today, with_cap=False)
    rows = list(locked.rows.order_by("seq").values_list("pk", "seq", "person_id", "amount", "kind"))
    filing = locked.filing
    try:
        ledger.support_reserve_many(
            [ledger.Reservation(person_id, filing.year, amount, str(seq)) for _pk, seq, person_id, amount, _k in rows]
        )  # rules 1 and 2
    except ledger.ReservationRefused as exc:
        refused = RowError(int(exc.reservation.ref), None, None, exc.code, exc.message)
        raise RosterRefused([refused]) from None
    requests = [
        payment_services.ReceivableRequest(
            person_id=person_id,
            kind=kind,
            payer_name=filing.payer_name,
            payer_id=filing.payer_code,
            year=filing.year,
            amount=amount,
            due_date=dt.date(filing.year, 12, 31),
            source_type=ROW_SOURCE_TYPE,
            source_ref=f"{locked.number}-{seq}",
        )
        for _pk, seq, person_id, amount, kind in rows
    ]
    receivables = payment_services.receivables_create_many(requests, user=user)
    links = [RosterRow(pk=pk, receivable_id=r.pk) for (pk, *_rest), r in zip(rows, receivables, strict=True)]
    RosterRow.objects.bulk_update(links, ["receivable"], batch_size=1000)
    locked.status = Status.APPROVED
    locked.approved_by, locked.approved_at = user, timezone.now()
    _save(locked, user)
    return locked


@transaction.atomic
def roster_reject(roster: Roster, *, user: AbstractBaseUser, reason: str) -> Roster:
    """Back to the village with the reason (at first review or at approval); nothing was reserved."""
    if not reason.strip():
        raise RuleViolation("reason_required", _("Give the reason for rejecting the roster."), "reason")
    locked = _locked(roster, Status.SUBMITTED, Status.REVIEWED)
    rules.check_maker_checker(
        locked.uploaded_by_id, user.pk, _("The person who entered a roster cannot also review it; ask a colleague.")
    )
    locked.status = Status.REJECTED
    locked.rejected_by, locked.rejected_at, locked.rejection_reason = user, timezone.now(), reason.strip()[:200]
    _save(locked, user)
    return locked


@transaction.atomic
def roster_discard(roster: Roster, *, user: AbstractBaseUser) -> Roster:
    """The village drops a roster it has not submitted."""
    locked = _locked(roster, Status.DRAFT)
    locked.status = Status.DISCARDED
    _save(locked, user)
    return locked


# --- Payment: what payments tells us --------------------------------------------------------------------


def _lock_rosters(receivable_ids: list[int]) -> list[int]:
    """Lock, in key order, the approved or paid rosters these receivables are rows of. The caller
    then asks about them in a statement of its own, which sees every transaction that held them
    committed: two transactions paying or taking back rows of one roster at once (two parts of a
    batch, or two batches) each see the other's rows as they were until it commits, and the one that
    locks the roster second decides on what both did."""
    roster_ids = set(RosterRow.objects.filter(receivable_id__in=receivable_ids).values_list("roster_id", flat=True))
    locked = Roster.objects.select_for_update(of=("self",)).filter(pk__in=roster_ids, status__in=Roster.APPROVED_STATES)
    return list(locked.order_by("pk").values_list("pk", flat=True))


def on_receivables_paid(receivables: list[Receivable]) -> None:
    """Called by payments inside the crediting transaction: the rows show paid, and a roster whose
    every row is paid is paid."""
    ids = [r.pk for r in receivables]
    paid_at = Receivable.objects.filter(pk=OuterRef("receivable_id")).values("paid_at")[:1]
    RosterRow.objects.filter(receivable_id__in=ids).update(paid_at=Subquery(paid_at))
    locked = _lock_rosters(ids)
    if not locked:
        return
    unpaid = RosterRow.objects.filter(roster=OuterRef("pk"), paid_at__isnull=True)
    rosters = Roster.objects.filter(pk__in=locked, status=Status.APPROVED).exclude(Exists(unpaid))
    for roster in rosters.order_by("pk"):
        roster.status, roster.paid_at = Status.PAID, timezone.now()
        _save(roster, None)


def on_receivables_reopened(receivables: list[Receivable]) -> None:
    """A reversal took a payment back: the row waits for payment again, and so does its roster."""
    ids = [r.pk for r in receivables]
    RosterRow.objects.filter(receivable_id__in=ids).update(paid_at=None)
    locked = _lock_rosters(ids)
    if not locked:
        return
    for roster in Roster.objects.filter(pk__in=locked, status=Status.PAID).order_by("pk"):
        roster.status, roster.paid_at = Status.APPROVED, None
        _save(roster, None)
