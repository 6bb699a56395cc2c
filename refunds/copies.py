"""The uploaded copies of a refund file (002 附件2 一: 身份证和银行卡复印件, 缴费证明): what may be
uploaded, and what a stored copy is. They are stored under MEDIA_ROOT and served only by the copy
view, which checks the capability and the scope; never from a public media URL."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_COPY_BYTES = 5 * 1024 * 1024
# What a scan or a photo of a document is; the content decides, never the name the browser sent.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
LABELS = {
    "id_card_copy": gettext_lazy("copy of the ID card"),
    "bank_card_copy": gettext_lazy("copy of the bank card or passbook"),
    "payment_proof": gettext_lazy("payment certificate"),
    "evidence_copy": gettext_lazy("supporting document"),
}


def _head(file: UploadedFile | FieldFile) -> bytes:
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    return head


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, suffix in SIGNATURES:
        if head.startswith(magic):
            return content_type, suffix
    return None


def validate_copy(upload: UploadedFile) -> UploadedFile:
    """A PDF, JPEG or PNG of at most 5 MB; renamed to what its content is."""
    if upload.size is not None and upload.size > MAX_COPY_BYTES:
        raise ValidationError(
            _("A copy may be at most 5 MB; this one is %(mb).1f MB. Scan it at a lower resolution.")
            % {"mb": upload.size / 1024 / 1024},
            code="copy_too_large",
        )
    if not upload.size:
        raise ValidationError(_("The uploaded file is empty."), code="copy_empty")
    found = sniff(_head(upload))
    if found is None:
        raise ValidationError(_("A copy must be a PDF, JPEG or PNG file."), code="copy_type")
    upload.name = f"copy{found[1]}"
    return upload


def content_type_of(stored: FieldFile) -> str:
    with stored.storage.open(stored.name, "rb") as handle:
        found = sniff(handle.read(16))
    return found[0] if found else "application/octet-stream"
