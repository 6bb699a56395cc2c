"""What each kind of payment posts to the ledger: its own entry, and for an own or supplementary
contribution the tier's subsidy beside it (rule 5, insured.rules.SUBSIDY_KIND_OF)."""

from __future__ import annotations

from insured import rules
from insured.models import AccountEntry
from payments.models import PaymentKind

Entry = AccountEntry.Kind

ENTRY_KIND: dict[str, str] = {
    PaymentKind.OWN: Entry.OWN,
    PaymentKind.GOVERNMENT_PAID: Entry.GOVERNMENT_PAID,
    PaymentKind.SPONSORSHIP: Entry.SPONSORSHIP,
    PaymentKind.COLLECTIVE: Entry.COLLECTIVE,
    PaymentKind.SOCIAL: Entry.SOCIAL,
    PaymentKind.BACK_PAYMENT: Entry.BACK_PAYMENT,
    PaymentKind.SUPPLEMENTARY: Entry.SUPPLEMENTARY,
}
SUBSIDY_KIND: dict[str, str] = {PaymentKind(k): Entry(v) for k, v in rules.SUBSIDY_KIND_OF.items()}
# The payment kind of each ledger kind a payment posts (reversal entries take their reversed entry's kind).
PAYMENT_KIND_OF_ENTRY: dict[str, str] = {str(entry): str(kind) for kind, entry in ENTRY_KIND.items()}
