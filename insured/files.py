"""Files people upload or the system makes for them (lists, minutes, reports): kept outside
MEDIA_URL, never served as public media, only through views that check who asks."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible
class PrivateStorage(FileSystemStorage):
    """A file system storage under settings.PRIVATE_FILES_ROOT, read when used (so tests can
    point it elsewhere), with no URL: a file leaves only through a view that checks scope."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> Path:  # type: ignore[override]
        return Path(settings.PRIVATE_FILES_ROOT)

    @property
    def location(self) -> str:  # type: ignore[override]
        return str(Path(settings.PRIVATE_FILES_ROOT).resolve())

    def url(self, name: str | None) -> str:
        raise ValueError("private files have no public URL; serve them through a view that checks scope")


private_storage = PrivateStorage()
