from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from insured import access
from oversight.plugin import COVERAGE_VIEW


@access.capability_required(COVERAGE_VIEW)
def coverage_page(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html", {})
