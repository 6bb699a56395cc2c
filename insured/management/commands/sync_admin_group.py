"""Make or update the permission group of county administrators (run after each migrate)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from insured import services


class Command(BaseCommand):
    help = "Make or update the 'county administrators' permission group; add administrators to it in the admin."

    def handle(self, *args: Any, **options: Any) -> None:
        group = services.administrator_group_sync()
        self.stdout.write(f"{group.name}: {group.permissions.count()} permissions")
