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
