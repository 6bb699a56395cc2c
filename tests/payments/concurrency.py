"""What the tests of workers side by side share: a worker as a thread with its own connection, a
worker held still at a chosen point with its locks and transaction open, the part of a resident
ID, and the ledger's own check."""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass, field
from typing import Any

from django.core.management import call_command
from django.db import connection


def in_thread(target, *args, name: str | None = None) -> threading.Thread:
    """Run `target(*args)` in a thread of its own (its own database connection, closed after)."""

    def run() -> None:
        try:
            target(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


@dataclass
class Hold:
    """A worker stopped right after a call returned: `holding` is set once it is there, and it goes
    on once `released` is set. `reached` names every thread that returned from the call, in order."""

    holding: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    reached: list[str] = field(default_factory=list)


def hold_after(
    monkeypatch, owner: Any, attribute: str, thread_name: str, *, then_raise: Exception | None = None
) -> Hold:
    """Make the thread named `thread_name` stop once `owner.attribute(...)` has returned (what that
    call locked stays locked, its transaction open) until the test releases it; `then_raise`: the
    thread fails there instead of going on."""
    hold = Hold()
    real = getattr(owner, attribute)

    def held(*args, **kwargs):
        result = real(*args, **kwargs)
        name = threading.current_thread().name
        hold.reached.append(name)
        if name == thread_name:
            hold.holding.set()
            assert hold.released.wait(30)
            if then_raise is not None:
                raise then_raise
        return result

    monkeypatch.setattr(owner, attribute, held)
    return hold


def part_of(id_no: str, parts: int = 2) -> int:
    """The part an ID number falls in as the SQL works it out (payments.storage.PersonPart), written
    again here to check it."""
    digest = hashlib.md5(id_no.encode()).digest()
    return (digest[0] * 256 + digest[1]) % parts


def check_ledger_clean() -> None:
    call_command("check_ledger", stdout=io.StringIO())  # raises CommandError on any difference
