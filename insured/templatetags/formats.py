"""The filters of insured.formats: {{ amount|money }}, {{ date|day }}, {{ datetime|moment }},
{{ number|count }};
{{ id_no|masked }} for a resident ID in a list (insured.identity.mask_id_no); {{ user|staff }}
for a member of staff, by name (insured.history.staff_name)."""

from django import template

from insured import formats
from insured.history import staff_name
from insured.identity import mask_id_no

register = template.Library()

register.filter("money", formats.money)
register.filter("day", formats.day)
register.filter("moment", formats.moment)
register.filter("count", formats.count)
register.filter("masked", mask_id_no)
register.filter("staff", staff_name)
