"""The collective subsidy part of the demo county (filled in below)."""

from __future__ import annotations

from typing import Any


def build(context: Any) -> dict[str, int]:
    return {}
