"""The filters of insured.formats: {{ amount|money }}, {{ date|day }}, {{ datetime|moment }}."""

from django import template

from insured import formats

register = template.Library()

register.filter("money", formats.money)
register.filter("day", formats.day)
register.filter("moment", formats.moment)
