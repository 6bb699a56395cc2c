from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from insured import access
from oversight.plugin import REPORT_VIEW


@access.capability_required(REPORT_VIEW)
def report_list(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html", {})
