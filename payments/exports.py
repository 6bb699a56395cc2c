"""Files handed to tax and to people: the receivables export (JSON and CSV), and the cell
escaping every spreadsheet-bound file uses."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from django.conf import settings

from insured.spreadsheets import safe_cell
from payments.models import ReceivableExport

__all__ = ["receivables_csv", "receivables_json", "safe_cell"]

RECEIVABLE_COLUMNS = (
    "action",
    "receivable_no",
    "kind",
    "insured_id_number",
    "insured_name",
    "payer_name",
    "payer_id",
    "year",
    "amount",
    "due_date",
)


def _export_rows(export: ReceivableExport) -> list[dict[str, Any]]:
    lines = export.lines.select_related("receivable__person").order_by("action", "receivable__number")
    return [
        {
            "action": line.action,
            "receivable_no": line.receivable.number,
            "kind": line.receivable.kind,
            "insured_id_number": line.receivable.person.id_no,
            "insured_name": line.receivable.person.name,
            "payer_name": line.receivable.payer_name,
            "payer_id": line.receivable.payer_id,
            "year": line.receivable.year,
            "amount": f"{line.receivable.amount:.2f}",
            "due_date": line.receivable.due_date.isoformat(),
        }
        for line in lines
    ]


def receivables_json(export: ReceivableExport) -> bytes:
    rows = _export_rows(export)
    body = {
        "export_no": export.number,
        "agency": settings.AGENCY_NAME,
        "region_code": export.region.code,
        "created_at": export.created_at.isoformat(),
        "count": len(rows),
        "total_amount": f"{sum((Decimal(r['amount']) for r in rows), Decimal('0')):.2f}",
        "receivables": rows,
    }
    return json.dumps(body, ensure_ascii=False, indent=2).encode()


def receivables_csv(export: ReceivableExport) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=RECEIVABLE_COLUMNS)
    writer.writeheader()
    for row in _export_rows(export):
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
    # With a BOM, Excel opens the Chinese names correctly.
    return ("\ufeff" + out.getvalue()).encode()
