"""Two clerks at once: generating the government-paid receivables and importing lists of one county
queue on the county's row, so no member gets two receivables and no import misses the other's
memberships (003 二(一) 应代尽代, rule 10: once a person a year)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from collection import services
from collection.models import GroupList
from insured.models import SpecialGroupMembership
from payments.models import Receivable
from tests.collection.conftest import list_csv
from tests.factories import MembershipFactory

THREADS = 4


def _at_once(work) -> list[str]:
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def run(n: int) -> None:
        try:
            start.wait()
            outcomes.append(str(work(n)))
        except Exception as exc:  # a deadlock or a unique violation would show here
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_generations_at_once_make_one_receivable_a_member(tree, policy, person_at):
    members = [person_at() for _ in range(12)]
    for person in members:
        MembershipFactory(person=person)

    outcomes = _at_once(lambda n: services.gov_paid_generate(county=tree["county"], year=2026))

    assert sorted(outcomes) == ["0"] * (THREADS - 1) + ["12"], outcomes
    assert Receivable.objects.filter(kind="government_paid").count() == 12


@pytest.mark.django_db(transaction=True)
def test_lists_imported_at_once_are_applied_one_after_another(tree, clerk, policy, person_at):
    persons = [person_at() for _ in range(THREADS)]
    # Each list names everyone (so no import ends another's members) in a file of its own.
    files = [
        list_csv([(p.id_no, p.name, "低保对象", "", f"2025-0{n + 1}-01") for p in persons]) for n in range(THREADS)
    ]

    def run(n: int) -> str:
        result = services.group_list_import(
            county=tree["county"], list_month=dt.date(2026, 3, 1), department="县民政局",
            content=files[n], filename=f"{n}.csv", user=clerk,
        )  # fmt: skip
        return f"{result.group_list.new_count}+{result.group_list.unchanged_count}"

    outcomes = _at_once(run)

    assert sorted(outcomes) == [f"0+{THREADS}"] * (THREADS - 1) + [f"{THREADS}+0"], outcomes
    assert GroupList.objects.count() == THREADS
    assert SpecialGroupMembership.objects.count() == THREADS
    assert Receivable.objects.filter(kind="government_paid").count() == THREADS
