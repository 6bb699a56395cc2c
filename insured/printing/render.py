"""The renderer: HTML templates laid out by WeasyPrint into A4 pages, in Chinese whatever language
the screen is in, set in the project's own faces (insured.printing.fonts), written as PDF/A-2u with
the form's document number, check code and print time in its metadata.

Made once per process: WeasyPrint's font configuration (fontconfig and Pango) and the shared
stylesheet with its @font-face rules, so a render parses neither font files nor CSS it has seen.
A form may load nothing but the project's own static files (no network, no file elsewhere).
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, SubElement, fromstring, tostring

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from insured import formats

BEIJING = formats.BEIJING
# PDF/A-2, level U: the archive's standard (ISO 19005-2), every character mapped to Unicode so the
# archive can be searched. WeasyPrint 70 writes the sRGB output intent and the XMP packet.
PDF_VARIANT = "pdf/a-2u"
GENERATOR = "城乡居民基本养老保险经办系统"
STYLESHEET = "css/print.css"
XMP_NAMESPACE = "urn:cn:pension:print:1.0/"
XMP_PREFIX = "pensionprint"


def _static_roots() -> list[Path]:
    return [Path(p).resolve() for p in settings.STATICFILES_DIRS]


def static_path(relative: str) -> Path:
    return Path(settings.STATICFILES_DIRS[0]) / relative


@cache
def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher

    class StaticOnlyFetcher(URLFetcher):
        """Let a form load a stylesheet, a font or an image from the project's static files,
        nothing else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "file":
                path = Path(parts.path).resolve()
                if any(path.is_relative_to(root) for root in _static_roots()):
                    return super().fetch(url, headers)
            raise ValueError(f"a printed form may only load the project's static files, not {url}")

    return StaticOnlyFetcher


def static_only_fetcher() -> Any:
    return _fetcher_class()(allowed_protocols=("file",))


@cache
def _font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration  # loads Pango; only printing needs it

    atexit.register(_forget_fonts)
    return FontConfiguration()


def _forget_fonts() -> None:
    """Let the font configuration remove its folder of fonts while the interpreter still can:
    at shutdown its __del__ would find the modules it needs already gone."""
    _form_stylesheet.cache_clear()
    _stylesheets.cache_clear()
    _font_config.cache_clear()
    gc.collect()


@cache
def _stylesheets() -> tuple[Any, ...]:
    """Parsed once: its @font-face rules register the faces in the process's font configuration,
    which keeps them (in a folder of its own) for every later render."""
    from weasyprint import CSS

    return (CSS(filename=str(static_path(STYLESHEET)), font_config=_font_config(), url_fetcher=static_only_fetcher()),)


def render_html(template_name: str, context: dict[str, Any]) -> str:
    with translation.override("zh-hans"):
        return render_to_string(template_name, context)


# A form's own <style> block (no attributes): parsed once per process, not at every print.
STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)


@lru_cache(maxsize=64)
def _form_stylesheet(text: str) -> Any:
    from weasyprint import CSS

    return CSS(
        string=text, base_url=str(static_path("")) + "/", url_fetcher=static_only_fetcher(), font_config=_font_config()
    )


def layout(html: str) -> Any:
    """The laid-out pages of one form (a weasyprint Document), not yet written.

    The form's <style> blocks are taken out of the HTML and given as parsed stylesheets, cached
    (a quarter of a form's layout time was parsing the same CSS again). They then count as user
    stylesheets rather than author ones, which changes nothing here: a form has no other author
    styles, and the shared stylesheet still comes last."""
    from weasyprint import HTML

    own = [_form_stylesheet(text) for text in STYLE_BLOCK.findall(html)]
    document = HTML(
        string=STYLE_BLOCK.sub("", html), base_url=str(static_path("")) + "/", url_fetcher=static_only_fetcher()
    )
    return document.render(font_config=_font_config(), stylesheets=[*own, *_stylesheets()], pdf_variant=PDF_VARIANT)


@dataclass(frozen=True)
class Metadata:
    """What the PDF says about itself (its Info dictionary and its XMP packet)."""

    title: str
    printed_at: dt.datetime
    author: str = ""
    subject: str = ""
    number: str = ""
    check_code: str = ""
    form: str = ""
    keywords: Sequence[str] = ()

    def custom(self) -> dict[str, str]:
        """The three facts an archive is searched by, as their own Info keys and XMP properties."""
        values = {
            "DocumentNumber": self.number,
            "CheckCode": self.check_code,
            "PrintedAt": _w3c(self.printed_at),
            "Form": self.form,
        }
        return {key: value for key, value in values.items() if value}


def _w3c(moment: dt.datetime) -> str:
    return moment.astimezone(BEIJING).isoformat(timespec="seconds")


@cache
def _metadata_class() -> type:
    from xml.etree.ElementTree import register_namespace

    from weasyprint.pdf.metadata import NS, DocumentMetadata

    rdf = NS["rdf"]
    for prefix, uri in ((XMP_PREFIX, XMP_NAMESPACE), ("pdfaExtension", PDFA_EXTENSION), ("pdfaSchema", PDFA_SCHEMA)):
        register_namespace(prefix, uri)
    register_namespace("pdfaProperty", PDFA_PROPERTY)

    class ArchiveMetadata(DocumentMetadata):
        """WeasyPrint's metadata plus our properties in the XMP packet, declared in a PDF/A
        extension schema (ISO 19005-2 6.6.2.3: a property outside the predefined schemas must be
        described, or the file is not PDF/A)."""

        def generate_rdf_metadata(self, variant: Any, version: Any, conformance: Any) -> bytes:
            root = fromstring(super().generate_rdf_metadata(variant, version, conformance))  # noqa: S314 - our own
            if self.custom:
                root.append(_extension_schema(rdf, list(self.custom)))
                own = SubElement(root, f"{{{rdf}}}Description", {f"{{{rdf}}}about": ""})
                for key, value in self.custom.items():
                    SubElement(own, f"{{{XMP_NAMESPACE}}}{key}").text = value
            return tostring(root, encoding="utf-8")

    return ArchiveMetadata


PDFA_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
PDFA_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"


def _extension_schema(rdf: str, keys: list[str]) -> Element:
    description = Element(f"{{{rdf}}}Description", {f"{{{rdf}}}about": ""})
    schemas = SubElement(SubElement(description, f"{{{PDFA_EXTENSION}}}schemas"), f"{{{rdf}}}Bag")
    schema = SubElement(schemas, f"{{{rdf}}}li", {f"{{{rdf}}}parseType": "Resource"})
    SubElement(schema, f"{{{PDFA_SCHEMA}}}schema").text = "Printed form of the resident pension agency system"
    SubElement(schema, f"{{{PDFA_SCHEMA}}}namespaceURI").text = XMP_NAMESPACE
    SubElement(schema, f"{{{PDFA_SCHEMA}}}prefix").text = XMP_PREFIX
    properties = SubElement(SubElement(schema, f"{{{PDFA_SCHEMA}}}property"), f"{{{rdf}}}Seq")
    for key in keys:
        item = SubElement(properties, f"{{{rdf}}}li", {f"{{{rdf}}}parseType": "Resource"})
        SubElement(item, f"{{{PDFA_PROPERTY}}}name").text = key
        SubElement(item, f"{{{PDFA_PROPERTY}}}valueType").text = "Text"
        SubElement(item, f"{{{PDFA_PROPERTY}}}category").text = "external"
        SubElement(item, f"{{{PDFA_PROPERTY}}}description").text = _PROPERTY_DESCRIPTIONS.get(key, key)
    return description


_PROPERTY_DESCRIPTIONS = {
    "DocumentNumber": "The number of the document the form prints",
    "CheckCode": "The check code printed on the form, to verify it with the agency",
    "PrintedAt": "When the form was printed (Beijing time)",
    "Form": "Which form of the system it is",
}


def write(documents: Sequence[Any], metadata: Metadata, bookmarks: Sequence[str] | None = None) -> bytes:
    """One PDF/A of the pages of `documents`, in order; each document's first page gets its
    bookmark when `bookmarks` are given (a batch), its own headings' otherwise."""
    pages = []
    for index, document in enumerate(documents):
        if bookmarks is not None:
            for number, page in enumerate(document.pages):
                page.bookmarks = [(1, bookmarks[index], (0, 0), "closed")] if number == 0 else []
        pages.extend(document.pages)
    combined = documents[0].copy(pages)
    combined.metadata = _metadata_class()(
        title=metadata.title,
        authors=[metadata.author] if metadata.author else [],
        description=metadata.subject or None,
        keywords=list(metadata.keywords),
        generator=GENERATOR,
        created=_w3c(metadata.printed_at),
        modified=_w3c(metadata.printed_at),
        lang="zh-Hans",
        custom=metadata.custom(),
    )
    return combined.write_pdf(pdf_variant=PDF_VARIANT, custom_metadata=True)


def render_pdf(template_name: str, context: dict[str, Any], metadata: Metadata | None = None) -> bytes:
    """One form, laid out and written. Without `metadata`, the title is the template's <title>."""
    document = layout(render_html(template_name, context))
    if metadata is None:
        return document.write_pdf(pdf_variant=PDF_VARIANT)
    return write([document], metadata)
