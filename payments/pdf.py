"""The reconciliation report 对账报告, printed for signature (notice 003 五(三))."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from insured import access
from insured.history import staff_name
from insured.printing import render_pdf
from payments.reconciliation import Cause, Reconciliation


def reconciliation_pdf(result: Reconciliation, *, printed_by: Any) -> bytes:
    profile = access.profile_of(printed_by)
    return render_pdf(
        "payments/reconciliation_pdf.html",
        {
            "result": result,
            "agency": settings.AGENCY_NAME,
            "printed_by": staff_name(printed_by),
            "printed_role": profile.get_role_display() if profile else "",
            "printed_at": timezone.localtime(),
            "bank_causes": Cause.BANK,
        },
    )
