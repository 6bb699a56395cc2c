"""Printed forms: HTML templates rendered to A4 PDF/A by WeasyPrint, in Chinese whatever language
the screen is in, set in the project's own CJK faces.

- `render`: the one renderer of every form of every app (fonts, the shared stylesheet, PDF/A and
  its metadata, the pages of many forms written as one file);
- `fonts`: how the faces in static/fonts/ are cut from the system's Noto Sans CJK SC.

An app's `pdf.py` builds a form's context; `render_pdf(template, context)` renders it.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from insured import formats
from insured.printing.render import BEIJING, Metadata, render_pdf, static_only_fetcher

__all__ = ["BEIJING", "Metadata", "printed_at", "render_pdf", "static_only_fetcher"]


def printed_at(when: dt.datetime | None = None) -> str:
    """A moment as printed on a form, in Beijing time: 2026年11月22日 09:30."""
    return formats.moment(when or timezone.now())
