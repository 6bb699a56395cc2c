"""Every model has a factory, and each builds a valid row (the ledger's models excepted: money
enters the accounts only through insured.ledger, see tests.accounts)."""

import pytest
from django.apps import apps

from tests import factories

pytestmark = pytest.mark.django_db

LEDGER = {"insured.accountentry", "insured.personyear"}


def _factories() -> dict[str, type]:
    found = {}
    for value in vars(factories).values():
        meta = getattr(value, "_meta", None)
        model = getattr(meta, "model", None)
        if isinstance(value, type) and model is not None and hasattr(model, "_meta"):
            found[model._meta.label_lower] = value
    return found


def test_every_model_of_ours_has_a_factory():
    ours = {
        m._meta.label_lower
        for m in apps.get_models()
        if m._meta.app_label in ("insured", "payments", "subsidy", "collective", "refunds", "oversight", "collection")
        and not m._meta.label_lower.split(".")[1].startswith("historical")
        and not m._meta.auto_created
    }
    # Lines of an export are made with the export itself (payments.services.export_create); the
    # database records a voucher line as its notice is stored (payments migration 0012).
    made_with_another = {"payments.receivableexportline", "payments.voucherline"}
    missing = ours - set(_factories()) - LEDGER - made_with_another
    assert missing == set()


@pytest.mark.parametrize("label", sorted(_factories()))
def test_factory_builds_a_valid_row(label):
    obj = _factories()[label]()
    obj.full_clean(validate_unique=False, validate_constraints=True)
    assert type(obj).objects.filter(pk=obj.pk).exists()
