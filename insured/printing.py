"""Printed forms: HTML templates rendered to A4 PDF by WeasyPrint, in Chinese whatever language
the screen is in, with the CJK fonts the system installs (fonts-noto-cjk).

One renderer for every form of every app: the font configuration is made once per process, and
a form can load nothing but the project's own static files (no network, no file elsewhere).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from insured import formats

BEIJING = formats.BEIJING


@cache
def _font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration  # loads Pango; only printing needs it

    return FontConfiguration()


def _static_roots() -> list[Path]:
    return [Path(p).resolve() for p in settings.STATICFILES_DIRS]


def static_only_fetcher(url: str, timeout: int = 10, ssl_context: Any = None) -> dict[str, Any]:
    """Let a form load a stylesheet or an image from the project's static files, nothing else."""
    from weasyprint import default_url_fetcher

    parts = urlsplit(url)
    if parts.scheme == "file":
        path = Path(parts.path).resolve()
        if any(path.is_relative_to(root) for root in _static_roots()):
            return default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context)
    raise ValueError(f"a printed form may only load the project's static files, not {url}")


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    with translation.override("zh-hans"):
        html = render_to_string(template_name, context)
    document = HTML(string=html, base_url=str(settings.BASE_DIR / "static") + "/", url_fetcher=static_only_fetcher)
    return document.write_pdf(font_config=_font_config())


def printed_at(when: dt.datetime | None = None) -> str:
    """A moment as printed on a form, in Beijing time: 2026年11月22日 09:30."""
    return formats.moment(when or timezone.now())
