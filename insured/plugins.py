"""How the apps above insured plug themselves in, without insured naming any of them.

Each app declares, in its own `plugin.py`, what it adds:
- capabilities and the roles that hold them (who may do what; insured.access checks them);
- menu entries, each shown to the roles holding its capability;
- sections of the person page (a template and the context it needs, made from what the page
  has read already: `PersonPage`);
- what a clerk recognises behind an account entry (`entry_sources`: the tax voucher and the
  receivable behind a credit) and behind a receivable (`record_links`, by the receivable's source
  type: the application or roster it pays for), linked;
- its part of the demo county (`manage.py load_demo`);
- the support it has pending (submitted, not yet approved) for persons in a year, which rule 1
  counts when another app checks an amount against the cap before approval.

and registers that declaration from its AppConfig.ready(). insured registers its own the same
way. Nothing here is read before the app registry is ready.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from insured.models import AccountEntry, InsuredPerson, Region
from insured.selectors import PersonAccount


@dataclass(frozen=True)
class MenuEntry:
    label: Any  # a lazy translation
    url_name: str
    capability: str
    order: int = 100

    @property
    def url(self) -> str:
        return reverse(self.url_name)


@dataclass(frozen=True)
class PersonPage:
    """What the person page has read before the panels: the person (with the chain of their
    village and their special group memberships), the day, and their ledger when the user may see
    it (None otherwise). A panel takes from it what it needs instead of reading the rows again."""

    person: InsuredPerson
    today: dt.date
    account: PersonAccount | None = None


@dataclass(frozen=True)
class PersonPanel:
    template: str
    capability: str
    context: Callable[[HttpRequest, PersonPage], dict[str, Any]]
    order: int = 100


@dataclass(frozen=True)
class SourceLink:
    """A record a clerk recognises (电子税票号码 and line, a receivable, an application number),
    and where it is shown to those holding `capability`."""

    label: str
    url: str = ""
    capability: str = ""


# Given entries, what each is: {entry id: [links]}.
EntrySources = Callable[[Sequence[AccountEntry]], Mapping[int, Sequence[SourceLink]]]
# Given the source refs of receivables of one source type, what each names: {ref: link}.
RecordLinks = Callable[[Sequence[str]], Mapping[str, SourceLink]]


@dataclass
class DemoContext:
    """What load_demo has built when the apps' demo steps run: the day it is built on, its seeded
    random generator (the same demo on every machine), the county, its villages, the demo users by
    username and the persons."""

    today: dt.date
    rng: random.Random
    county: Region
    villages: list[Region]
    users: dict[str, Any]
    persons: list[InsuredPerson]


@dataclass(frozen=True)
class DemoStep:
    """Builds an app's part of the demo county inside load_demo's transaction; returns the counts
    to print (label → number). `order` runs the apps bottom-up: registry, payments, the rest."""

    build: Callable[[DemoContext], Mapping[str, int]]
    order: int = 100


# person ids and a year -> the amounts pending for each of those persons (absent: nothing pending)
PendingSupport = Callable[[Collection[int], int], Mapping[int, Decimal]]


@dataclass(frozen=True)
class Plugin:
    app: str
    grants: Mapping[str, Iterable[str]] = field(default_factory=dict)  # role -> capabilities
    menu: tuple[MenuEntry, ...] = ()
    person_panels: tuple[PersonPanel, ...] = ()
    entry_sources: EntrySources | None = None
    record_links: Mapping[str, RecordLinks] = field(default_factory=dict)
    demo: DemoStep | None = None
    pending_support: PendingSupport | None = None


_plugins: dict[str, Plugin] = {}
_capabilities: dict[str, frozenset[str]] = {}


def register(plugin: Plugin) -> None:
    """Idempotent: registering an app's plugin again replaces it."""
    _plugins[plugin.app] = plugin
    _capabilities.clear()
    for registered in _plugins.values():
        for role, capabilities in registered.grants.items():
            _capabilities[role] = _capabilities.get(role, frozenset()) | frozenset(capabilities)


def capabilities_of(role: str) -> frozenset[str]:
    return _capabilities.get(role, frozenset())


def all_capabilities() -> dict[str, frozenset[str]]:
    return dict(_capabilities)


def menu_for(capabilities: frozenset[str]) -> list[MenuEntry]:
    entries = [e for p in _plugins.values() for e in p.menu if e.capability in capabilities]
    return sorted(entries, key=lambda e: e.order)


def person_panels() -> list[PersonPanel]:
    return sorted((panel for p in _plugins.values() for panel in p.person_panels), key=lambda p: p.order)


def demo_steps() -> list[DemoStep]:
    return sorted((p.demo for p in _plugins.values() if p.demo is not None), key=lambda s: s.order)


def entry_sources(entries: Sequence[AccountEntry]) -> dict[int, list[SourceLink]]:
    """What every app knows of the entries' sources, in the order the apps registered."""
    found: dict[int, list[SourceLink]] = {}
    for plugin in _plugins.values():
        if plugin.entry_sources is not None and entries:
            for entry_id, links in plugin.entry_sources(entries).items():
                found.setdefault(entry_id, []).extend(links)
    return found


def record_links(source_type: str, refs: Sequence[str]) -> dict[str, SourceLink]:
    """The records behind receivables of one source type (an app's application or roster), by ref."""
    for plugin in _plugins.values():
        describe = plugin.record_links.get(source_type)
        if describe is not None and refs:
            return dict(describe(refs))
    return {}


def pending_support(person_ids: Collection[int], year: int, *, except_app: str | None = None) -> dict[int, Decimal]:
    """Support submitted but not yet approved for these persons in `year`, summed over every app
    (but `except_app`, which counts its own), for rule 1's check before approval (001 二(二))."""
    totals: dict[int, Decimal] = {}
    for plugin in _plugins.values():
        if plugin.pending_support is None or plugin.app == except_app:
            continue
        for person_id, amount in plugin.pending_support(person_ids, year).items():
            totals[person_id] = totals.get(person_id, Decimal("0.00")) + amount
    return totals
