"""Every write of refunds 退费 (notice 002 附件2; notice 000 三(三)).

The rules are insured.rules'; money leaves an account only through insured.ledger.refund_post,
and a payment waiting in the unmatched queue leaves it only through payments.services. Each step
locks the application, checks its state and the rules, then writes; maker-checker
(rules.check_maker_checker) at every step that approves money.
"""

from refunds.services.finance import (
    application_record_failure,
    application_record_payment,
    held_entries,
    held_notices,
    request_create,
    tax_report_create,
)
from refunds.services.planning import Applicant, Plan, PlannedLine, RefundInput, application_check
from refunds.services.steps import (
    application_approve,
    application_correct,
    application_first_review,
    application_receive,
    application_return,
    application_withdraw,
    applications_hand_over,
    check_code_for,
    missing_copies,
)

__all__ = [
    "Applicant",
    "Plan",
    "PlannedLine",
    "RefundInput",
    "application_approve",
    "application_check",
    "application_correct",
    "application_first_review",
    "application_receive",
    "application_record_failure",
    "application_record_payment",
    "application_return",
    "application_withdraw",
    "applications_hand_over",
    "check_code_for",
    "held_entries",
    "held_notices",
    "missing_copies",
    "request_create",
    "tax_report_create",
]
