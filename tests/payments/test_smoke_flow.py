from decimal import Decimal

import pytest

from insured.models import AccountEntry, PersonYear
from payments.models import ArrivalNotice, NoticeBatch
from tests.payments.conftest import batch, notice

pytestmark = pytest.mark.django_db(transaction=True)


def test_pushed_own_contribution_is_credited_with_its_subsidy(signed, insured):
    response = signed.push(batch([notice(insured)]))
    assert response.status_code == 202, response.content
    stored = NoticeBatch.objects.get(batch_id="B0001")
    assert stored.status == "processed"
    assert stored.credited_count == 1
    kinds = dict(AccountEntry.objects.filter(person=insured).values_list("kind", "amount"))
    assert kinds == {"own": Decimal("500.00"), "government_subsidy": Decimal("60.00")}
    assert PersonYear.objects.get(person=insured, year=2026).own_amount == Decimal("500.00")
    assert ArrivalNotice.objects.get().state == "credited"
