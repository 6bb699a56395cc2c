"""The progress pages 征缴进度 (002 五, 003 六(二), 004 四): a region's year as of a day beside last
year at the same date, its regions below as a table and a bar chart of their paid rates (a bar
opens that region: county → township → village), and the paid count week by week as a line.

The charts are drawn by static/js/progress.js from the page's own tables, so without scripts the
page is the same numbers; the figures come from the summary rows (oversight.selectors.progress).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from insured import access, exports
from oversight import lists
from oversight.forms import ProgressForm
from oversight.plugin import COVERAGE_VIEW, PROGRESS_VIEW
from oversight.selectors.progress import progress_figures
from oversight.views.common import shown_region, trail


@access.capability_required(PROGRESS_VIEW)
@require_GET
def progress_page(request: HttpRequest) -> HttpResponse:
    region = shown_region(request)
    today = timezone.localdate()
    data = request.GET if "year" in request.GET else {"year": today.year}
    form = ProgressForm(data, region=region, today=today)
    progress = None
    kept: dict[str, str] = {}
    if form.is_valid():
        year, as_of = form.cleaned_data["year"], form.cleaned_data["date"]
        progress = progress_figures(region, year, as_of)
        kept = {"year": str(year)} | ({"date": as_of.isoformat()} if request.GET.get("date") else {})
    context = {
        "form": form,
        "region": region,
        "progress": progress,
        "trail": [(r, urlencode({"region": r.code, **kept})) for r in trail(request.user, region)],
        "child_query": kept,
        "lines": [(line, urlencode({"region": line.code, **kept})) for line in progress.lines] if progress else [],
        "coverage": access.has_capability(request.user, COVERAGE_VIEW),
        "years": range(today.year, today.year - 6, -1),
    }
    return render(request, "oversight/progress.html", context)


@access.capability_required(PROGRESS_VIEW)
@require_GET
def progress_export(request: HttpRequest) -> HttpResponse:
    """The table of the page as a file (insured.exports), rebuilt from the page's parameters."""
    region = shown_region(request)
    params = {k: v for k, v in request.GET.items() if k in ("region", "year", "date")}
    params.setdefault("region", region.code)
    params.setdefault("year", str(timezone.localdate().year))
    back = f"{reverse('oversight:progress')}?{urlencode(params)}"
    return exports.export(request, lists.PROGRESS, params, back)
