"""Sections that apps above insured add to the person page.

insured imports nothing of the apps that build on it; payments, subsidy and the others
register a panel here at start-up (AppConfig.ready), and the person page renders each one
with the context it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from insured.models import InsuredPerson


@dataclass(frozen=True)
class PersonPanel:
    template: str
    capability: str
    context: Callable[[HttpRequest, InsuredPerson], dict[str, Any]]
    order: int = 100


_panels: list[PersonPanel] = []


def register(panel: PersonPanel) -> None:
    if panel not in _panels:
        _panels.append(panel)
        _panels.sort(key=lambda p: p.order)


def person_panels() -> list[PersonPanel]:
    return list(_panels)
