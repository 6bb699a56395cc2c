"""The policy rules, each once, with the notice clause it comes from.

Every app asks these functions; none re-implements a rule. A failure raises RuleViolation
with a stable code (for programs and tests) and a Chinese message that names the rule and
its clause (for people). The numbering follows DESIGN.md §"The rules".

Notices: 000 Chaoyang 2026 (personal sponsorship), 001 Inner Mongolia 2025 (collective
subsidy), 002 Fei county 2020, 003 Linxia 2023, 004 Anze 2021.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import luhn

from insured import formats
from insured.identity import parse_resident_id

if TYPE_CHECKING:
    from insured.models import InsuredPerson, PersonYear, PolicyTier, PolicyYear, Region
    from insured.workdays import WorkCalendar

MIN_ENROLMENT_AGE = 16
MIN_SPONSOR_AGE = 18

# The kinds of money, as the ledger (AccountEntry.Kind) and tax (PaymentKind) both spell them.
OWN = "own"
GOVERNMENT_SUBSIDY = "government_subsidy"
GOVERNMENT_PAID = "government_paid"
COLLECTIVE = "collective"
SPONSORSHIP = "sponsorship"
SOCIAL = "social"
BACK_PAYMENT = "back_payment"
SUPPLEMENTARY = "supplementary"
SUPPLEMENTARY_SUBSIDY = "supplementary_subsidy"

# Rule 1: the support that counts against the yearly cap (000 二; 001 二(二)).
SUPPORT_KINDS = frozenset({COLLECTIVE, SPONSORSHIP, SOCIAL})
# Support is paid against what the agency approved and sent to tax (000 三(二); 001 附件1 四),
# and a back payment against an approved application (003 六(三)): without a receivable such a
# payment cannot be credited.
NEEDS_RECEIVABLE = SUPPORT_KINDS | {BACK_PAYMENT}
# Rule 5: only an own contribution and a supplementary contribution earn their tier's
# subsidy (000 二; 003 六(三)); the subsidy is posted as a kind of its own.
SUBSIDY_KIND_OF = {OWN: GOVERNMENT_SUBSIDY, SUPPLEMENTARY: SUPPLEMENTARY_SUBSIDY}
SUBSIDISED_KINDS = frozenset(SUBSIDY_KIND_OF)


class RuleViolation(Exception):
    """A policy rule refused an action. `code` is stable; `message` is for people."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


def _money(value: Decimal) -> str:
    return formats.money(value)  # as every page and form writes it


# Rule 1 — cap: 000 二; 001 二(二).
def check_cap(*, year: int, cap: Decimal | None, used: Decimal, amount: Decimal) -> None:
    """Sponsorship plus collective subsidy in one year stays within that year's top tier.

    `used` is what is already credited plus what is approved but unpaid for the person and
    year; the caller holds the person-year row lock while it reads `used` and reserves.
    """
    if cap is None:
        raise RuleViolation(
            "policy_tiers_missing",
            _(
                "The contribution tiers of %(year)s have not been entered, so the cap of rule 1 "
                "(notice 000 section 2; notice 001 section 2(2)) is unknown. Ask the administrator "
                "to enter the policy year."
            )
            % {"year": year},
        )
    check_amount(amount)
    if used + amount > cap:
        raise RuleViolation(
            "cap_exceeded",
            _(
                "Rule 1 (notice 000 section 2; notice 001 section 2(2)): sponsorship plus collective "
                "subsidy in %(year)s may not exceed the top tier of %(cap)s yuan. Already used or "
                "approved: %(used)s yuan; this amount: %(amount)s yuan; room left: %(room)s yuan."
            )
            % {
                "year": year,
                "cap": _money(cap),
                "used": _money(used),
                "amount": _money(amount),
                "room": _money(max(cap - used, Decimal("0"))),
            },
            "amount",
        )


def cap_room(*, cap: Decimal | None, used: Decimal) -> Decimal | None:
    return None if cap is None else max(cap - used, Decimal("0.00"))


# Rule 2 — own contribution first: 000 一(三); 001 二(二).
def has_own_contribution(person_year: PersonYear | None, policy: PolicyYear) -> bool:
    if person_year is None:
        return False
    if person_year.own_arrived_on is not None and person_year.own_amount > 0:
        return True
    return policy.gov_paid_counts_as_own and person_year.gov_paid_amount > 0


def check_own_contribution_arrived(person_year: PersonYear | None, policy: PolicyYear) -> None:
    if not has_own_contribution(person_year, policy):
        raise RuleViolation(
            "own_contribution_missing",
            _(
                "Rule 2 (notice 000 section 1(3); notice 001 section 2(2)): the person's own "
                "contribution for %(year)s has not arrived yet; sponsorship and collective subsidy "
                "can only be added after it has."
            )
            % {"year": policy.year},
        )


# Rule 3 — enrolled, local, not receiving benefits: 000 一(二)(三); 001 附件1 一.
def check_can_receive_support(person: InsuredPerson, agency_region: Region | None = None) -> None:
    if person.status == person.Status.RECEIVING:
        raise RuleViolation(
            "receiving_benefits",
            _(
                "Rule 3 (notice 000 section 1(3); notice 001 attachment 1 section 1): %(name)s is "
                "already receiving pension benefits and cannot be sponsored or subsidised."
            )
            % {"name": person.name},
        )
    if person.status != person.Status.ENROLLED:
        raise RuleViolation(
            "not_enrolled",
            _("Rule 3 (notice 000 section 1(2)): %(name)s is not enrolled and paying (status: %(status)s).")
            % {"name": person.name, "status": person.get_status_display()},
        )
    check_local(person, agency_region)


def check_local(person: InsuredPerson, agency_region: Region | None) -> None:
    if agency_region is not None and not agency_region.contains(person.village):
        raise RuleViolation(
            "not_local",
            _("Rule 3 (notice 000 section 1(2)): %(name)s's household registration is not in %(region)s.")
            % {"name": person.name, "region": agency_region.name},
        )


# Rule 4 — current year only: 000 二 "不能对以往年度进行资助".
def check_current_year(year: int, today: dt.date) -> None:
    if year < today.year:
        raise RuleViolation(
            "past_year",
            _(
                "Rule 4 (notice 000 section 2): sponsorship cannot be made for a past year "
                "(%(year)s); only for %(current)s."
            )
            % {"year": year, "current": today.year},
            "year",
        )
    if year > today.year:
        raise RuleViolation(
            "future_year",
            _(
                "Rule 4 (notice 000 section 4): sponsorship is paid in the year it is applied "
                "for; %(year)s is not the current year %(current)s."
            )
            % {"year": year, "current": today.year},
            "year",
        )


# Rule 5 — no government subsidy on support or back payment: 000 二; 003 六(三).
def government_subsidy_for(kind: str, amount: Decimal, policy: PolicyYear) -> Decimal:
    """The subsidy credited beside a payment of `kind`; zero for every unsubsidised kind."""
    if kind not in SUBSIDISED_KINDS:
        return Decimal("0.00")
    if kind == SUPPLEMENTARY:
        tier = policy.tier_for(amount, "supplementary")
        if tier is None:
            raise RuleViolation(
                "supplementary_tier_invalid",
                _("Notice 004 section 4(2): %(amount)s yuan is not a supplementary pension tier of %(year)s.")
                % {"amount": _money(amount), "year": policy.year},
                "amount",
            )
    else:
        tier = _basic_tier_or_raise(policy, amount)
    if tier.government_subsidy is None:
        raise RuleViolation(
            "subsidy_not_configured",
            _(
                "The government subsidy of the %(amount)s yuan tier of %(year)s has not been "
                "entered; ask the administrator to enter it before crediting."
            )
            % {"amount": _money(amount), "year": policy.year},
        )
    return tier.government_subsidy


# Rule 6 — the sponsor is 18 or older: 000 一(一).
def check_sponsor_age(sponsor_id_no: str, today: dt.date) -> int:
    try:
        parsed = parse_resident_id(sponsor_id_no, today=today)
    except ValidationError as exc:
        raise RuleViolation("sponsor_id_invalid", exc.messages[0], "sponsor_id_no") from None
    age = parsed.age_on(today)
    if age < MIN_SPONSOR_AGE:
        raise RuleViolation(
            "sponsor_under_18",
            _("Rule 6 (notice 000 section 1(1)): the sponsor must be at least 18 years old; this sponsor is %(age)s.")
            % {"age": age},
            "sponsor_id_no",
        )
    return age


def _basic_tier_or_raise(policy: PolicyYear, amount: Decimal) -> PolicyTier:
    tier = policy.tier_for(amount, "basic")
    if tier is not None:
        return tier
    if not policy.basic_tiers():
        raise RuleViolation(
            "policy_tiers_missing",
            _(
                "The contribution tiers of %(year)s have not been entered; ask the administrator to "
                "enter the policy year."
            )
            % {"year": policy.year},
            "amount",
        )
    tiers = "、".join(f"{t.amount:.0f}" for t in policy.basic_tiers())
    raise RuleViolation(
        "tier_invalid",
        _(
            "Rule 7 (notice 002 section 2): %(amount)s yuan is not a contribution tier of %(year)s. "
            "The tiers are (yuan): %(tiers)s."
        )
        % {"amount": _money(amount), "year": policy.year, "tiers": tiers},
        "amount",
    )


# Rule 7 — own contribution is one of the year's tiers; the hardship tier only for the
# groups the policy names: 002 二.
def check_own_contribution_tier(
    policy: PolicyYear, amount: Decimal, *, groups: Callable[[], set[str]], name: str
) -> None:
    """`groups()` gives the special groups the person belongs to on the day of payment; it is
    asked only for a hardship tier, so a batch reads memberships only when they matter."""
    tier = _basic_tier_or_raise(policy, amount)
    if tier.is_hardship_only:
        allowed = set(policy.hardship_groups) or None
        member_of = groups()
        if not member_of or (allowed is not None and not member_of & allowed):
            raise RuleViolation(
                "hardship_tier_not_allowed",
                _(
                    "Rule 7 (notice 002 section 2): the %(amount)s yuan tier is only for persons in "
                    "a hardship group; %(name)s is not in one."
                )
                % {"amount": _money(amount), "name": name},
                "amount",
            )


# Rule 8 — approved sponsorship unpaid at the end of its year is void: 000 四.
def is_void_due(year: int, today: dt.date) -> bool:
    return today.year > year


# Rule 9 — no refund of sponsorship once credited: 000 三(三).
def check_withdrawable(is_credited: bool) -> None:
    if is_credited:
        raise RuleViolation(
            "credited_no_refund",
            _(
                "Rule 9 (notice 000 section 3(3)): the sponsorship has been credited to the "
                "account and cannot be withdrawn or refunded, except in the cases policy provides."
            ),
        )


# Eligibility to enrol: 002 一; 003 三(一) and 六(三); 004 一(一).
def check_eligibility(person: InsuredPerson, today: dt.date, agency_region: Region | None = None) -> None:
    age = person.age_on(today)
    if age < MIN_ENROLMENT_AGE:
        raise RuleViolation(
            "under_16",
            _(
                "Eligibility (notice 002 section 1; notice 003 section 3(1)): residents enrol from "
                "the age of 16; this person is %(age)s."
            )
            % {"age": age},
            "id_no",
        )
    if person.is_student:
        raise RuleViolation(
            "student", _("Eligibility (notice 002 section 1): full-time students do not enrol."), "is_student"
        )
    if person.has_employee_pension:
        raise RuleViolation(
            "employee_pension",
            _(
                "Eligibility (notice 003 section 3(1); notice 004 section 1(1)): persons covered by "
                "the employee basic pension do not enrol in the resident scheme."
            ),
            "has_employee_pension",
        )
    if person.has_land_acquired_scheme:
        raise RuleViolation(
            "land_acquired_scheme",
            _(
                "Eligibility (notice 003 section 6(3), point 3): persons in the land-acquired farmers' "
                "pension scheme do not enrol in the resident scheme."
            ),
            "has_land_acquired_scheme",
        )
    check_local(person, agency_region)


# Amounts of money any application names: more than zero, in yuan and fen.
def check_amount(amount: Decimal) -> None:
    if amount <= 0:
        raise RuleViolation("amount_not_positive", _("The amount must be greater than zero."), "amount")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise RuleViolation("amount_precision", _("An amount has at most two decimal places."), "amount")


# 000 一(一): a sponsor pays for another person (子女为父母、亲属之间 …).
def check_sponsor_is_not_beneficiary(sponsor_id_no: str, beneficiary_id_no: str) -> None:
    if sponsor_id_no == beneficiary_id_no:
        raise RuleViolation(
            "sponsor_is_beneficiary",
            _(
                "Notice 000 section 1(1): the sponsor pays for another person; sponsor and beneficiary are the same "
                "person here."
            ),
            "sponsor_id_no",
        )


# Maker-checker (000 三(一) 初审、复核; 001 附件1 四(三)(四); 002 附件2): money is approved by a second
# person, never by the one who entered or proposed it.
def check_maker_checker(maker_id: int | None, checker_id: int | None, message: str | None = None) -> None:
    if maker_id is not None and maker_id == checker_id:
        raise RuleViolation(
            "same_person",
            message or _("The person who entered this cannot also approve it; ask a colleague."),
        )


# Crediting an arrival notice. A refusal leaves the payment in the unmatched queue under its code.


def check_person_open(status: str) -> None:
    """A closed record 终止参保 takes no more money; the payment waits to be returned."""
    if status == "closed":
        raise RuleViolation("person_closed", _("The insured person's record is closed; no payment can be credited."))


def check_client_serves(village_code: str, client_prefix: str) -> None:
    """A tax client credits the persons of the region it serves; one elsewhere waits to be looked at."""
    if not village_code.startswith(client_prefix):
        raise RuleViolation(
            "outside_client_region",
            _("The insured person's household is outside the region this tax client serves; the payment waits."),
        )


def check_receivable_present(kind: str, has_receivable: bool) -> None:
    if kind in NEEDS_RECEIVABLE and not has_receivable:
        raise RuleViolation(
            "receivable_required",
            _(
                "Support and back payments are credited only against the receivable the agency approved "
                "(notice 000 section 3(2); notice 001 attachment 1 section 4; notice 003 section 6(3))."
            ),
        )


# 002 二 "按年缴费": one own contribution a person a year; a second payment waits to be refunded.
def check_one_own_contribution(already_paid: bool, year: int) -> None:
    if already_paid:
        raise RuleViolation(
            "own_already_paid",
            _("Notice 002 section 2: the own contribution for %(year)s has already arrived; it is paid once a year.")
            % {"year": year},
        )


# 003 四(二): the government pays the policy year's fixed amount for each member of a special group.
def check_government_paid_amount(amount: Decimal, policy: PolicyYear) -> None:
    if amount != policy.gov_paid_amount:
        raise RuleViolation(
            "gov_paid_mismatch",
            _(
                "Notice 003 section 4(2): a government-paid contribution for %(year)s is %(expected)s yuan, "
                "not %(amount)s yuan."
            )
            % {
                "year": policy.year,
                "expected": _money(policy.gov_paid_amount) if policy.gov_paid_amount is not None else "—",
                "amount": _money(amount),
            },
            "amount",
        )


# 001 附件1 四(七): a payment is posted automatically within 3 working days of its arrival;
# what is still waiting after that is overdue and must be posted by hand.
MANUAL_POSTING_WORKDAYS = 3


def posting_due_on(paid_on: dt.date, calendar: WorkCalendar) -> dt.date:
    return calendar.after(paid_on, MANUAL_POSTING_WORKDAYS)


# --- Notice 001: collective subsidy 集体补助 and social sponsorship 社会资助 --------------------------
# The cap (rule 1), the own contribution first (rule 2), enrolled and not receiving benefits
# (rule 3) and no government subsidy (rule 5) are the rules above; these are 001's own.

# 001 附件3: the roster's column 补助或资助类型 names the kind of money as these words.
SUPPORT_TYPE_OF_LABEL = {"集体补助": COLLECTIVE, "社会资助": SOCIAL}
SUPPORT_TYPE_LABELS = {kind: label for label, kind in SUPPORT_TYPE_OF_LABEL.items()}

# 001 附件1 三 and 附件2 二: the county agency's first review within 3 working days of submission.
FIRST_REVIEW_WORKDAYS = 3


def support_type_of(label: str | None) -> str:
    """001 附件3: each row is 集体补助 or 社会资助."""
    kind = SUPPORT_TYPE_OF_LABEL.get((label or "").replace(" ", ""))
    if kind is None:
        raise RuleViolation(
            "support_type_invalid",
            _(
                "Notice 001 attachment 3: the type of each row is 集体补助 (collective subsidy) or 社会资助 (social "
                "sponsorship); %(label)s is neither."
            )
            % {"label": label or "—"},
            "type",
        )
    return kind


def check_support_type_allowed(kind: str, *, payer_is_collective: bool) -> None:
    """001 附件2: a company, charity or person pays social sponsorship, never collective subsidy,
    which only a collective organisation pays (附件1)."""
    if kind == COLLECTIVE and not payer_is_collective:
        raise RuleViolation(
            "collective_by_sponsor",
            _(
                "Notice 001 attachment 2: a company, charity or person pays social sponsorship (社会资助); "
                "collective subsidy (集体补助) is paid only by a village's collective organisation."
            ),
            "type",
        )


def check_member(person: InsuredPerson | None, region: Region, *, id_no: str, collective: bool) -> InsuredPerson:
    """001 二(二) and 附件1 一: collective subsidy goes to members of the organisation's own village;
    social sponsorship (附件2) to residents insured with the agency. A person unknown to the
    registry and one registered elsewhere read the same: a roster learns nothing of other villages."""
    if person is not None and region.contains(person.village):
        return person
    id_no = f"{id_no[:6]}********{id_no[-4:]}"  # personal data: shown masked, as in every list
    if collective:
        raise RuleViolation(
            "not_member",
            _(
                "Notice 001 section 2(2): %(id_no)s is not an insured member of %(village)s, so the collective "
                "organisation cannot subsidise them."
            )
            % {"id_no": id_no, "village": region.name},
            "id_no",
        )
    raise RuleViolation(
        "not_local",
        _("Notice 001 attachment 2: no insured person with ID number %(id_no)s is registered in %(region)s.")
        % {"id_no": id_no, "region": region.name},
        "id_no",
    )


def check_registry_match(person: InsuredPerson, *, name: str | None, sex: str | None) -> None:
    """001 附件3: a row names the person as the registry has them; a different name or sex means the
    row and the ID number are about two people."""
    if name is not None and name != person.name:
        raise RuleViolation(
            "name_mismatch",
            _(
                "Notice 001 attachment 3: the name %(name)s differs from the registered name %(registered)s of this "
                "ID number."
            )
            % {"name": name, "registered": person.name},
            "name",
        )
    if sex is not None and sex != person.sex:
        raise RuleViolation(
            "sex_mismatch",
            _(
                "Notice 001 attachment 3: the sex %(sex)s differs from the registered sex %(registered)s of this "
                "ID number."
            )
            % {"sex": _sex_label(sex), "registered": _sex_label(person.sex)},
            "sex",
        )


def _sex_label(sex: str) -> str:
    return {"M": "男", "F": "女"}.get(sex, sex)


def check_person_once(first_seq: int | None) -> None:
    """001 二(二) 按年度计入个人账户: a person is on a roster once."""
    if first_seq is not None:
        raise RuleViolation(
            "duplicate_person",
            _("Notice 001 section 2(2): this person is already on the list at No. %(seq)s; a person is listed once.")
            % {"seq": first_seq},
            "id_no",
        )


def check_collective_standard(
    amount: Decimal, *, standard: Decimal | None, hardship_standard: Decimal | None, is_hardship: bool
) -> None:
    """001 二(二) 一村一策、一年一策: collective subsidy is paid at the standard the village filed for the
    year; a higher standard for hardship groups (适当向困难群体倾斜) only for their members."""
    if standard is None:
        return
    allowed = {standard}
    if hardship_standard is not None and is_hardship:
        allowed.add(hardship_standard)
    if amount in allowed:
        return
    if hardship_standard is not None and amount == hardship_standard:
        raise RuleViolation(
            "hardship_standard_not_allowed",
            _(
                "Notice 001 section 2(2): the standard of %(amount)s yuan is for members of a hardship group; this "
                "person is not in one."
            )
            % {"amount": _money(amount)},
            "amount",
        )
    raise RuleViolation(
        "standard_mismatch",
        _(
            "Notice 001 section 2(2) (一年一策): %(amount)s yuan is not the standard filed for the year, %(standard)s "
            "yuan."
        )
        % {"amount": _money(amount), "standard": _money(standard)},
        "amount",
    )


def check_within_plan(total: Decimal, planned_total: Decimal | None) -> None:
    """001 附件5: the year's collective subsidy stays within the total the village resolved and filed."""
    if planned_total is not None and total > planned_total:
        raise RuleViolation(
            "plan_exceeded",
            _(
                "Notice 001 attachment 5: with this list the year's collective subsidy would come to %(total)s yuan, "
                "more than the %(planned)s yuan filed."
            )
            % {"total": _money(total), "planned": _money(planned_total)},
        )


def check_not_land_acquired_subsidy(declared: bool) -> None:
    """001 二(三): 村集体不得将被征地农牧民养老保险缴费补贴用于集体补助."""
    if not declared:
        raise RuleViolation(
            "land_acquired_money",
            _(
                "Notice 001 section 2(3): the village must declare that the subsidy is not paid out of the "
                "land-acquired farmers' pension subsidy."
            ),
            "declares_not_land_acquired",
        )


def check_virtual_unit_recorded(code: str) -> None:
    """001 附件1 四(一): a newly registered organisation adds no people before tax knows its virtual unit."""
    if not code.strip():
        raise RuleViolation(
            "virtual_unit_missing",
            _(
                "Notice 001 attachment 1 section 4(1): the organisation's virtual unit code has not been recorded; "
                "until tax has synchronised the village, it cannot file."
            ),
        )


def check_filing_year(year: int, today: dt.date) -> None:
    """001 二(二): the subsidy is for members who paid this year's contribution, filed year by year."""
    if year != today.year:
        raise RuleViolation(
            "filing_year_not_current",
            _(
                "Notice 001 section 2(2): collective subsidy and social sponsorship are filed for the current year "
                "%(current)s, not %(year)s."
            )
            % {"current": today.year, "year": year},
            "year",
        )


def check_resolution(
    *, resolved_on: dt.date | None, publicity_from: dt.date | None, publicity_to: dt.date | None, today: dt.date
) -> None:
    """001 二(四) 四议两公开: the members' meeting resolves, then the resolution is made public, before
    the plan is filed."""
    if resolved_on is None or publicity_from is None or publicity_to is None:
        raise RuleViolation(
            "resolution_missing",
            _("Notice 001 section 2(4): give the date of the members' resolution and the dates it was made public."),
            "resolved_on",
        )
    if not resolved_on <= publicity_from <= publicity_to <= today:
        raise RuleViolation(
            "resolution_order",
            _(
                "Notice 001 section 2(4): the resolution is made public after the meeting and before the plan is "
                "filed: meeting %(resolved)s, public %(start)s to %(end)s, today %(today)s."
            )
            % {"resolved": resolved_on, "start": publicity_from, "end": publicity_to, "today": today},
            "publicity_from",
        )


def first_review_due_on(submitted_on: dt.date, calendar: WorkCalendar) -> dt.date:
    """001 附件1 三: the county's first review is due 3 working days after submission."""
    return calendar.after(submitted_on, FIRST_REVIEW_WORKDAYS)


# --- Refunds 退费 (notice 002 附件2; notice 000 三(三)) ---------------------------------------------
# Who is paid, which money goes back to whom, the monthly hand-over and the request for money.

REFUND = "refund"
REVERSAL = "reversal"
# The government's money in an account: the subsidy beside a contribution and the contribution the
# government paid for a member of a special group.
GOVERNMENT_KINDS = frozenset({GOVERNMENT_SUBSIDY, SUPPLEMENTARY_SUBSIDY, GOVERNMENT_PAID})
# Every kind a refund may take out of an account (a refund or a reversal is never refunded).
REFUNDABLE_KINDS = frozenset({OWN, BACK_PAYMENT, SUPPLEMENTARY, *SUPPORT_KINDS, *GOVERNMENT_KINDS})
PAYEE_PERSON = "person"
PAYEE_HEIR = "heir"
# 002 附件2 二: the township sends the month's applications to the county by the 25th.
REFUND_HANDOVER_DAY = 25
# What a bank card number looks like (GB/T 19584 and ISO/IEC 7812: 16 to 19 digits, Luhn check
# digit last). A passbook or settlement account number has no check digit and no fixed length.
CARD_NUMBER_LENGTHS = range(16, 20)
ACCOUNT_NUMBER_LENGTHS = range(8, 31)


def check_refund_case_destinations(*, payee: str, kinds_to_payee: set[str], kinds_to_fund: set[str]) -> None:
    """What an administrator may configure for a refund case.

    Rule 9 (000 三(三)): sponsorship and collective money leaves an account only to the insured
    person or the heir, never back to the sponsor, the village or anyone else. The government's
    money goes back to the fund, never to the person (人社部发〔2014〕17号 六); only an heir inherits
    it with the rest of the balance (国发〔2014〕8号 九).
    """
    unknown = (kinds_to_payee | kinds_to_fund) - REFUNDABLE_KINDS
    if unknown:
        raise RuleViolation(
            "refund_kind_unknown",
            _("These kinds of money cannot be refunded: %(kinds)s.") % {"kinds": "、".join(sorted(unknown))},
        )
    if kinds_to_payee & kinds_to_fund:
        raise RuleViolation(
            "refund_kind_twice",
            _("A kind of money goes either to the payee or back to the fund, not both: %(kinds)s.")
            % {"kinds": "、".join(sorted(kinds_to_payee & kinds_to_fund))},
        )
    if kinds_to_fund & SUPPORT_KINDS:
        raise RuleViolation(
            "support_refund_not_to_person",
            _(
                "Rule 9 (notice 000 section 3(3)): sponsorship and collective subsidy are refunded only to "
                "the insured person or the heir, never to anyone else."
            ),
        )
    if payee != PAYEE_HEIR and kinds_to_payee & GOVERNMENT_KINDS:
        raise RuleViolation(
            "government_money_to_person",
            _(
                "The government subsidy and government-paid contributions of a refund go back to the fund, "
                "never to the insured person; only an heir inherits them with the balance of the account."
            ),
        )


def check_refund_kind(
    *, kind: str, kind_label: str, case_name: str, kinds_to_payee: set[str], kinds_to_fund: set[str]
) -> None:
    """The case of the application returns this kind of money (rule 9 for sponsorship and collective)."""
    if kind in kinds_to_payee or kind in kinds_to_fund:
        return
    if kind in SUPPORT_KINDS:
        raise RuleViolation(
            "support_not_refundable",
            _(
                "Rule 9 (notice 000 section 3(3)): sponsorship and collective subsidy that have arrived are "
                'not refunded, except in the cases policy provides; the case "%(case)s" is not one of them.'
            )
            % {"case": case_name},
            "entries",
        )
    raise RuleViolation(
        "refund_kind_not_in_case",
        _('Notice 002 attachment 2: the refund case "%(case)s" does not return this kind of money (%(kind)s).')
        % {"case": case_name, "kind": kind_label},
        "entries",
    )


def check_refund_entry(*, belongs_to_person: bool, already_taken_out: bool, reserved_by: str | None) -> None:
    """An entry chosen for a refund is the person's, still in the account, and not on another
    application: the same money is never refunded twice."""
    if not belongs_to_person:
        raise RuleViolation(
            "refund_entry_other_person",
            _("Notice 002 attachment 2: a refund takes money only from the applicant's own account."),
            "entries",
        )
    if already_taken_out:
        raise RuleViolation(
            "refund_entry_gone",
            _("This money has already been refunded or reversed; it cannot be refunded again."),
            "entries",
        )
    if reserved_by:
        raise RuleViolation(
            "refund_entry_reserved",
            _("This money is already on refund application %(number)s; the same money is refunded once.")
            % {"number": reserved_by},
            "entries",
        )


def check_refund_has_money(payee_amount: Decimal) -> None:
    if payee_amount <= 0:
        raise RuleViolation(
            "refund_nothing_to_pay",
            _("Choose the payments to refund: nothing chosen would be paid to the applicant."),
            "entries",
        )


def check_refund_settles_account(*, settles_account: bool, left_behind: int, case_name: str) -> None:
    """A death or emigration settles the whole balance of the account at once."""
    if settles_account and left_behind:
        raise RuleViolation(
            "refund_settlement_incomplete",
            _(
                'The case "%(case)s" settles the whole balance of the account: choose every entry still in it '
                "(%(n)s not chosen)."
            )
            % {"case": case_name, "n": left_behind},
            "entries",
        )


# 002 附件2 二: the township office takes refunds for the persons of its own township.
def check_refund_township(*, person_name: str, township_name: str, is_in_township: bool) -> None:
    if not is_in_township:
        raise RuleViolation(
            "refund_not_in_township",
            _(
                "Notice 002 attachment 2 section 2: the township office takes refunds for persons registered in "
                "its own township; %(name)s is not registered in %(township)s."
            )
            % {"name": person_name, "township": township_name},
        )


def check_refund_waiting_payment(*, reason: str, reason_label: str, allowed: set[str], case_name: str) -> None:
    """A payment that waits in the unmatched queue is refunded only in a case that returns money
    waiting for that reason (a second own contribution of a year, an amount that is no tier …)."""
    if reason not in allowed:
        raise RuleViolation(
            "refund_waiting_reason_not_in_case",
            _(
                'Notice 002 attachment 2: the refund case "%(case)s" does not return a payment that waits because '
                "%(reason)s."
            )
            % {"case": case_name, "reason": reason_label},
            "notices",
        )


# 002 附件2 一: the refund goes to the person who paid, or for a deceased person to the heir.
def check_refund_applicant(
    *, payee: str, relation: str, applicant_id_no: str, applicant_name: str, person_id_no: str, person_name: str
) -> None:
    if payee == PAYEE_HEIR:
        if relation == "self" or applicant_id_no == person_id_no:
            raise RuleViolation(
                "heir_required",
                _("For a deceased insured person the refund is applied for and paid to the heir, not the person."),
                "relation",
            )
        return
    if relation != "self" or applicant_id_no != person_id_no or applicant_name.strip() != person_name:
        raise RuleViolation(
            "payee_not_the_person",
            _(
                "Rule 9 (notice 000 section 3(3)) and notice 002 attachment 2: the refund is paid to the insured "
                "person only, never to a sponsor, a village or anyone else; the applicant must be the person."
            ),
            "applicant_id_no",
        )


def check_bank_account(*, account_type: str, account_no: str, account_name: str, payee_name: str) -> None:
    """002 附件2 一: the refund goes to the applicant's own bank account (a card or a passbook).

    A card number carries a Luhn check digit (ISO/IEC 7812), so a mistyped digit is caught here.
    A passbook or settlement account number has none: only its digits and length are checked, and
    the bank's answer (a failed payment) catches the rest.
    """
    if not account_no.isdigit() or len(account_no) not in ACCOUNT_NUMBER_LENGTHS:
        raise RuleViolation(
            "account_no_format",
            _("A bank account number has 8 to 30 digits and nothing else."),
            "account_no",
        )
    is_card = account_type == "card"
    if is_card and (len(account_no) not in CARD_NUMBER_LENGTHS or not luhn.is_valid(account_no)):
        raise RuleViolation(
            "card_number_invalid",
            _(
                "The bank card number fails its check digit (ISO/IEC 7812, 16 to 19 digits); a digit is "
                "probably mistyped. Check it against the copy of the card."
            ),
            "account_no",
        )
    if account_name.strip() != payee_name.strip():
        raise RuleViolation(
            "account_name_not_payee",
            _("The account must be in the payee's own name (%(name)s); a refund is never paid into someone else's.")
            % {"name": payee_name},
            "account_name",
        )


def check_refund_copies(missing: list[str]) -> None:
    """002 附件2 二: the township office reviews the application with the copies of the ID card and
    the bank card and the payment certificate; without them there is nothing to review."""
    if missing:
        raise RuleViolation(
            "refund_copy_missing",
            _("Notice 002 attachment 2 section 2: upload the copies first (missing: %(missing)s).")
            % {"missing": "、".join(missing)},
        )


def refund_handover_deadline(year: int, month: int, calendar: WorkCalendar) -> dt.date:
    """The last day of the month on which the township's hand-over still counts for that month:
    the 25th (002 附件2 二 "每月25日前"), moved to the next working day when the 25th is not one
    (民法典 第二百零三条: a period ending on a day off ends on the next working day)."""
    day = dt.date(year, month, REFUND_HANDOVER_DAY)
    while not calendar.is_workday(day):
        day += dt.timedelta(days=1)
    return day


def refund_batch_month(handed_over_on: dt.date, calendar: WorkCalendar) -> dt.date:
    """The month whose request for money 请款 an application handed over on this day joins: this
    month's when it reached the county by the deadline, otherwise next month's."""
    month = handed_over_on.replace(day=1)
    if handed_over_on <= refund_handover_deadline(month.year, month.month, calendar):
        return month
    return (month + dt.timedelta(days=32)).replace(day=1)


# 002 附件2 三: "次月月初向县财政局申请退款资金" — a month's request is made once the month is over.
def check_refund_request_month(month: dt.date, today: dt.date) -> None:
    if today < (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1):
        raise RuleViolation(
            "request_too_early",
            _(
                "Notice 002 attachment 2 section 3: the money for %(month)s is requested from the finance bureau "
                "early the next month, once the month's applications are all in."
            )
            % {"month": f"{month:%Y-%m}"},
            "month",
        )


def check_refund_paid_on(*, paid_on: dt.date, requested_on: dt.date, today: dt.date) -> None:
    if paid_on > today:
        raise RuleViolation("paid_on_future", _("The payment date cannot be in the future."), "paid_on")
    if paid_on < requested_on:
        raise RuleViolation(
            "paid_before_request",
            _("The payment date cannot be before the money was requested (%(day)s).") % {"day": requested_on},
            "paid_on",
        )


# --- Back payment 补缴 and the supplementary pension 补充养老保险 (003 六(三); 002 四(四); 004) ------------
# An own or supplementary contribution for a past year is a back payment: it needs an approved
# back-payment application (its receivable) and gets no government subsidy (rule 5).

# 国发〔2009〕32号: the resident scheme began in 2009; no back payment names an earlier year.
FIRST_SCHEME_YEAR = 2009
# 到龄补缴 (004 七(三)6 "到龄人员补缴年限核定"; 国发〔2014〕8号 四): a person who reaches the pension
# age of 60 with fewer than 15 paid years may pay the missing years, up to 15 in all.
PENSION_AGE = 60
MIN_PAID_YEARS = 15
BACK_PAYMENT_BASIC = "basic"
BACK_PAYMENT_SUPPLEMENTARY = "supplementary"
# The receivable kind of a back payment of each scheme, and the kinds of notice that pay it: tax
# reports a back payment as 补缴 or, chosen by the payer as a past 缴费年度, as an own contribution
# (004 五(一)4).
BACK_PAYMENT_RECEIVABLE_KIND = {BACK_PAYMENT_BASIC: BACK_PAYMENT, BACK_PAYMENT_SUPPLEMENTARY: SUPPLEMENTARY}
RECEIVABLE_KIND_OF_PAST_PAYMENT = {OWN: BACK_PAYMENT, SUPPLEMENTARY: SUPPLEMENTARY}


def is_back_payment(kind: str, year: int, paid_on: dt.date) -> bool:
    """Rule 5 (003 六(三)): an own or supplementary contribution paid after its year has ended is a
    back payment of that year."""
    return kind in RECEIVABLE_KIND_OF_PAST_PAYMENT and year < paid_on.year


def receivable_kind_fits(notice_kind: str, receivable_kind: str) -> bool:
    """A notice pays a receivable of its own kind; an own contribution also pays a basic back
    payment's receivable (004 五(一)4: the payer picks the past year as the 缴费年度)."""
    return notice_kind == receivable_kind or (notice_kind == OWN and receivable_kind == BACK_PAYMENT)


def check_back_payment_approved(has_receivable: bool, year: int) -> None:
    if not has_receivable:
        raise RuleViolation(
            "back_payment_required",
            _(
                "Rule 5 (notice 003 section 6(3); notice 002 section 4(4)): a contribution for the past year "
                "%(year)s is a back payment; it is credited, without government subsidy, only after the township "
                "office has entered a back-payment application and the county has approved it."
            )
            % {"year": year},
        )


def check_in_basic_scheme(status: str, name: str) -> None:
    """004 一(二): only persons enrolled in the region's basic scheme join the supplementary pension."""
    if status != "enrolled":
        raise RuleViolation(
            "not_in_basic_scheme",
            _(
                "Notice 004 section 1(2): only persons enrolled and paying in the basic resident pension of the "
                "county join the supplementary pension; %(name)s is not."
            )
            % {"name": name},
        )


def check_one_supplementary(already_paid: bool, year: int) -> None:
    """004 三 "按自然年度缴纳": one supplementary contribution a person a year."""
    if already_paid:
        raise RuleViolation(
            "supplementary_already_paid",
            _(
                "Notice 004 section 3: the supplementary pension contribution for %(year)s has already been paid; "
                "it is paid once a year."
            )
            % {"year": year},
        )


def check_back_payment_person(status: str, name: str, *, scheme: str) -> None:
    """Who may pay back: a person still in the scheme and not yet drawing a pension (002 四(四);
    003 六(三)); the supplementary pension only while enrolled and paying in the basic one (004 一(二))."""
    if scheme == BACK_PAYMENT_SUPPLEMENTARY:
        check_in_basic_scheme(status, name)
    elif status not in ("enrolled", "suspended"):
        raise RuleViolation(
            "back_payment_person_status",
            _(
                "Notice 003 section 6(3): back payment is for enrolled persons whose payments were interrupted; "
                "%(name)s is receiving benefits or closed."
            )
            % {"name": name},
        )


def check_back_payment_tier(amount: Decimal, policy: PolicyYear, *, scheme: str, in_hardship_group: bool) -> None:
    """004 五(一)5: the payer chooses any tier of the policy year (补缴 "可选择任一缴费基数"); the
    hardship tier only for a member of a hardship group (rule 7, 002 二)."""
    if scheme == BACK_PAYMENT_SUPPLEMENTARY:
        if not policy.supplementary_tiers():
            raise RuleViolation(
                "no_supplementary_pension",
                _("Notice 004 section 1(2): the policy of %(year)s has no supplementary pension.")
                % {"year": policy.year},
                "tier",
            )
        if policy.tier_for(amount, "supplementary") is None:
            raise RuleViolation(
                "supplementary_tier_invalid",
                _("Notice 004 section 4(2): %(amount)s yuan is not a supplementary pension tier of %(year)s.")
                % {"amount": _money(amount), "year": policy.year},
                "tier",
            )
        return
    tier = _basic_tier_or_raise(policy, amount)
    if tier.is_hardship_only and not in_hardship_group:
        raise RuleViolation(
            "hardship_tier_not_allowed",
            _(
                "Rule 7 (notice 002 section 2): the %(amount)s yuan tier is only for persons in a hardship group; "
                "this person is not in one."
            )
            % {"amount": _money(amount)},
            "tier",
        )


def first_eligible_year(birth_date: dt.date) -> int:
    """The first year a back payment may name: the year the person turned 16 (002 一), not before
    the scheme began."""
    return max(birth_date.year + MIN_ENROLMENT_AGE, FIRST_SCHEME_YEAR)


def reaches_pension_age(birth_date: dt.date, today: dt.date) -> bool:
    """到龄: the person turns 60 this year or has turned 60 already."""
    return birth_date.year + PENSION_AGE <= today.year


def aged_back_payment_years(*, birth_date: dt.date, paid_years: set[int], today: dt.date) -> tuple[int, list[int]]:
    """到龄补缴 (004 七(三)6; 国发〔2014〕8号 四): how many years a person reaching 60 may still pay back,
    15 less the years already paid, and which past years are open to it (unpaid, from the year the
    person turned 16 or the scheme began, up to last year), latest first. Zero years when 15 are paid."""
    allowance = max(MIN_PAID_YEARS - len(paid_years), 0)
    open_years = [y for y in range(today.year - 1, first_eligible_year(birth_date) - 1, -1) if y not in paid_years]
    return min(allowance, len(open_years)), open_years


def check_back_payment_years(
    years: list[int],
    *,
    scheme: str,
    aged: bool,
    birth_date: dt.date,
    enrolled_on: dt.date,
    paid_years: set[int],
    applied_years: dict[int, str],
    scheme_years: set[int] | None,
    limit_years: int | None,
    today: dt.date,
) -> None:
    """Each year of a back-payment application, checked (003 六(三) 四; 002 四(四); 004).

    `paid_years`: years already paid in this scheme; `applied_years`: years on another live
    application (year → its number); `scheme_years`: for the supplementary pension, the years whose
    policy had it; `limit_years`: how many past years the policy year lets an interrupted payment
    reach back (None: back to enrolment). 到龄补缴 (`aged`) may name years before enrolment, up to 15
    paid years in all.
    """
    if not years:
        raise RuleViolation("back_payment_no_year", _("Choose at least one year to pay back."), "years")
    if len(set(years)) != len(years):
        raise RuleViolation("back_payment_year_twice", _("A year is named twice."), "years")
    if aged and scheme == BACK_PAYMENT_SUPPLEMENTARY:
        raise RuleViolation(
            "aged_supplementary",
            _(
                "Notice 004 section 7(3)6: the back payment on reaching pension age is of the basic pension; "
                "the supplementary pension has none."
            ),
            "basis",
        )
    if aged:
        _check_aged(years, birth_date=birth_date, paid_years=paid_years, today=today)
    for year in sorted(years):
        _check_back_payment_year(
            year,
            aged=aged,
            birth_date=birth_date,
            enrolled_on=enrolled_on,
            paid=year in paid_years,
            applied=applied_years.get(year),
            scheme_years=scheme_years,
            limit_years=limit_years,
            today=today,
        )


def _check_aged(years: list[int], *, birth_date: dt.date, paid_years: set[int], today: dt.date) -> None:
    if not reaches_pension_age(birth_date, today):
        raise RuleViolation(
            "aged_not_yet_60",
            _(
                "Notice 004 section 7(3)6: the back payment on reaching pension age is for persons who turn 60 this "
                "year or have turned 60; this person turns 60 in %(year)s."
            )
            % {"year": birth_date.year + PENSION_AGE},
            "basis",
        )
    allowance, _open = aged_back_payment_years(birth_date=birth_date, paid_years=paid_years, today=today)
    if len(years) > allowance:
        raise RuleViolation(
            "aged_over_fifteen",
            _(
                "Notice 004 section 7(3)6: with %(paid)s paid years, a person reaching 60 may pay back at most "
                "%(allowance)s years (15 paid years in all); %(asked)s are named."
            )
            % {"paid": len(paid_years), "allowance": allowance, "asked": len(years)},
            "years",
        )


def _check_back_payment_year(
    year: int,
    *,
    aged: bool,
    birth_date: dt.date,
    enrolled_on: dt.date,
    paid: bool,
    applied: str | None,
    scheme_years: set[int] | None,
    limit_years: int | None,
    today: dt.date,
) -> None:
    if year >= today.year:
        raise RuleViolation(
            "back_payment_not_past",
            _(
                "Notice 003 section 6(3): back payment is for past years; %(year)s is paid as the year's own "
                "contribution."
            )
            % {"year": year},
            "years",
        )
    if year < first_eligible_year(birth_date):
        raise RuleViolation(
            "back_payment_too_early",
            _(
                "Notice 002 section 1: %(year)s is before the person turned 16 or before the scheme began "
                "(%(first)s); it cannot be paid back."
            )
            % {"year": year, "first": first_eligible_year(birth_date)},
            "years",
        )
    if not aged and year < enrolled_on.year:
        raise RuleViolation(
            "back_payment_not_enrolled",
            _(
                "Notice 003 section 6(3): only years of interrupted payment after enrolment are paid back; the "
                "person enrolled in %(enrolled)s, after %(year)s."
            )
            % {"year": year, "enrolled": enrolled_on.year},
            "years",
        )
    if not aged and limit_years is not None and year < today.year - limit_years:
        raise RuleViolation(
            "back_payment_too_old",
            _("The policy of %(current)s lets a back payment reach back %(limit)s years, not to %(year)s.")
            % {"current": today.year, "limit": limit_years, "year": year},
            "years",
        )
    if scheme_years is not None and year not in scheme_years:
        raise RuleViolation(
            "no_supplementary_pension",
            _("Notice 004 section 1(2): the policy of %(year)s has no supplementary pension to pay back.")
            % {"year": year},
            "years",
        )
    if paid:
        raise RuleViolation(
            "back_payment_year_paid",
            _("Notice 003 section 6(3): %(year)s is already paid; only unpaid years are paid back.") % {"year": year},
            "years",
        )
    if applied:
        raise RuleViolation(
            "back_payment_applied",
            _("%(year)s is already on back-payment application %(number)s; a year is applied for once.")
            % {"year": year, "number": applied},
            "years",
        )


# --- Special groups 五类人员 and government-paid contributions 政府代缴 ----------------------------------
# 002 二 and 四(三); 003 二(一)(二), 四(二) and 六(二); 004 三 (the collection window).

# 003 六(二) "残联部门负责提供全市重度残疾人（一、二级）数据": 重度残疾人 are grades 一 and 二.
SEVERE_DISABILITY_GRADES = frozenset({1, 2})
# 002 四(三): from 1 March a person the government pays for who also pays chooses another tier.
HARDSHIP_TIER_CLOSES_ON = (3, 1)
# How departments' lists name the groups (002 四(三) names 未参保的建档立卡贫困人员, today's 脱贫人口).
SPECIAL_GROUP_WORDS = {
    "脱贫人口": "poverty_alleviated",
    "建档立卡贫困人员": "poverty_alleviated",
    "建档立卡贫困人口": "poverty_alleviated",
    "未参保的建档立卡贫困人员": "poverty_alleviated",
    "三类户": "poverty_alleviated",
    "低保对象": "dibao_recipient",
    "低保": "dibao_recipient",
    "特困人员": "extreme_poverty_person",
    "特困供养人员": "extreme_poverty_person",
    "重度残疾人": "severely_disabled",
    "重度残疾": "severely_disabled",
    "计生两户": "family_planning_household",
}
GRADE_WORDS = {
    "一级": 1,
    "二级": 2,
    "三级": 3,
    "四级": 4,
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
}


def special_group_of(word: str | None) -> str:
    """003 四(二): the five groups, as a department's list writes them."""
    group = SPECIAL_GROUP_WORDS.get((word or "").replace(" ", ""))
    if group is None:
        raise RuleViolation(
            "group_unknown",
            _(
                "Notice 003 section 4(2): %(word)s is not one of the five special groups; write 脱贫人口, 低保对象, "
                "特困人员, 重度残疾人 or 计生两户."
            )
            % {"word": word or "—"},
            "group",
        )
    return group


def disability_grade_of(word: str | None) -> int | None:
    if not word:
        return None
    grade = GRADE_WORDS.get(word.replace(" ", "").removeprefix("残疾").removesuffix("等"))
    if grade is None:
        raise RuleViolation(
            "grade_unknown",
            _("%(word)s is not a disability grade; write 一级, 二级, 三级 or 四级.") % {"word": word},
            "grade",
        )
    return grade


def check_disability_grade(group: str, grade: int | None) -> None:
    """003 六(二): only grades 一 and 二 make a 重度残疾人; the disabled persons' federation says which."""
    if group != "severely_disabled":
        return
    if grade not in SEVERE_DISABILITY_GRADES:
        raise RuleViolation(
            "grade_not_severe",
            _(
                "Notice 003 section 6(2): 重度残疾人 are persons of disability grade 一 or 二; give the grade "
                "(this row: %(grade)s)."
            )
            % {"grade": grade or "—"},
            "grade",
        )


def check_membership_dates(valid_from: dt.date | None, valid_to: dt.date | None) -> None:
    if valid_from is None:
        raise RuleViolation("start_missing", _("Give the date the person joined the group."), "valid_from")
    if valid_to is not None and valid_to < valid_from:
        raise RuleViolation(
            "dates_order",
            _("The end date %(end)s is before the start date %(start)s.") % {"end": valid_to, "start": valid_from},
            "valid_to",
        )


def membership_end_when_left(valid_from: dt.date, list_month: dt.date) -> dt.date:
    """003 六(三) 动态清零: a member whom this month's list no longer names was a member until the
    end of the month before (never before the day they joined)."""
    return max(valid_from, list_month - dt.timedelta(days=1))


def paying_groups(policy: PolicyYear) -> frozenset[str]:
    """Rule 10: the groups whose contribution the policy year pays (none without an amount)."""
    if policy.gov_paid_amount is None:
        return frozenset()
    return frozenset(policy.gov_paid_groups or ())


# Rule 10 — government-paid contributions only for members of a group the year pays for:
# 002 四(三) "政府统一为其代缴"; 003 二(一) "应代尽代", 四(二).
def check_government_paid_member(*, policy: PolicyYear, has_receivable: bool, groups: set[str], name: str) -> None:
    """The agency generated its receivable (for a member), or the person is a member of a paying
    group on the day the government paid."""
    if has_receivable:
        return
    if not groups & paying_groups(policy):
        raise RuleViolation(
            "gov_paid_not_member",
            _(
                "Rule 10 (notice 002 section 4(3); notice 003 section 4(2)): the government pays the contribution "
                "only for members of a special group the policy of %(year)s pays for; %(name)s was not one on the "
                "day of payment and has no government-paid receivable."
            )
            % {"year": policy.year, "name": name},
        )


# Rule 10 — at most one government-paid contribution a person a year: 003 四(二) "100元的政府代缴".
def check_one_government_paid(already_paid: bool, year: int) -> None:
    if already_paid:
        raise RuleViolation(
            "gov_paid_twice",
            _(
                "Rule 10 (notice 003 section 4(2)): the government has already paid the contribution of %(year)s "
                "for this person; it pays once a year."
            )
            % {"year": year},
        )


def hardship_tier_closes_on(year: int) -> dt.date:
    return dt.date(year, *HARDSHIP_TIER_CLOSES_ON)


# Rule 7 — 002 四(三): "如个人除政府代缴外又缴费的，于3月1日后，重新选择除100元外的缴费档次".
def check_tier_beside_government_paid(
    policy: PolicyYear,
    amount: Decimal,
    *,
    paid_on: dt.date,
    is_government_paid: bool | Callable[[], bool],
    name: str,
) -> None:
    """`is_government_paid` may be a function: it is asked only for the hardship tier from 1 March
    (the crediting engine's answer costs a look-up)."""
    if paid_on < hardship_tier_closes_on(policy.year):
        return
    tier = policy.tier_for(amount, "basic")
    if tier is None or not tier.is_hardship_only:
        return
    if is_government_paid() if callable(is_government_paid) else is_government_paid:
        raise RuleViolation(
            "hardship_tier_beside_gov_paid",
            _(
                "Rule 7 (notice 002 section 4(3)): the government pays the minimum for %(name)s in %(year)s; "
                "paying on their own as well from 1 March, they choose a tier other than the %(amount)s yuan tier."
            )
            % {"name": name, "year": policy.year, "amount": _money(amount)},
            "amount",
        )


# The collection window 集中征缴期: 002 三 (the first quarter); 003 五(二) (1 February to 30 September);
# 004 三 (January to June, days 1 to 25 of each month, "节假日不顺延": a holiday does not extend it).
def collection_window_open(policy: PolicyYear, day: dt.date) -> bool:
    if policy.collection_start is not None and day < policy.collection_start:
        return False
    if policy.collection_end is not None and day > policy.collection_end:
        return False
    if policy.collection_day_from is not None and day.day < policy.collection_day_from:
        return False
    return policy.collection_day_to is None or day.day <= policy.collection_day_to


def check_collection_window(policy: PolicyYear, day: dt.date) -> None:
    """A person's payment outside the window; what happens to it is the policy year's setting."""
    if not collection_window_open(policy, day):
        raise RuleViolation(
            "outside_window",
            _(
                "Notice 002 section 3; notice 004 section 3: %(day)s is outside the collection window of %(year)s "
                "(%(window)s)."
            )
            % {"day": day, "year": policy.year, "window": collection_window_text(policy)},
        )


def collection_window_text(policy: PolicyYear) -> str:
    start = policy.collection_start.isoformat() if policy.collection_start else "—"
    end = policy.collection_end.isoformat() if policy.collection_end else "—"
    text = _("%(start)s to %(end)s") % {"start": start, "end": end}
    if policy.collection_day_from or policy.collection_day_to:
        text += _(", days %(first)s to %(last)s of each month (not extended over holidays)") % {
            "first": policy.collection_day_from or 1,
            "last": policy.collection_day_to or 31,
        }
    return text


# 003 二(二): "5月31日前完成政府代缴工作任务"; the page warns this many days before.
GOV_PAID_DEADLINE_WARNING_DAYS = 30


def gov_paid_deadline_state(deadline: dt.date | None, today: dt.date) -> str:
    """'none' (no deadline), 'open', 'near' (within the warning days) or 'passed'."""
    if deadline is None:
        return "none"
    if today > deadline:
        return "passed"
    if (deadline - today).days <= GOV_PAID_DEADLINE_WARNING_DAYS:
        return "near"
    return "open"


# The payments the window applies to: what a person pays of their own accord. The government's,
# a sponsor's and a village's money arrive against receivables with their own dates.
WINDOW_KINDS = frozenset({OWN, SUPPLEMENTARY})


def check_listed_once(first_line: int | None) -> None:
    """003 六(三) 建立健全各类人群数据台账: a person is listed once in each group of a list."""
    if first_line is not None:
        raise RuleViolation(
            "duplicate_row",
            _("Notice 003 section 6(3): this person is already listed in this group on line %(line)s.")
            % {"line": first_line},
            "id_no",
        )
