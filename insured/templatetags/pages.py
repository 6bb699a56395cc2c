"""Paging that keeps the list's filters: {% page_url n %} is the current query with page=n."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context: template.Context, number: int) -> str:
    query = context["request"].GET.copy()
    query["page"] = number
    return f"?{query.urlencode()}"


@register.simple_tag
def page_numbers(page) -> list[int | None]:
    """The page numbers to offer: the first, the last and two either side of this one; None is a gap."""
    last = page.paginator.num_pages
    wanted = sorted({1, last, *range(max(page.number - 2, 1), min(page.number + 2, last) + 1)})
    numbers: list[int | None] = []
    for n in wanted:
        if numbers and n - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers
