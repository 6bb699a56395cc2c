"""A pager for lists that can hold a whole county: it counts no further than it needs to.

The person list of a county clerk holds every insured person of the county, a million in a large
one, and an exact count of them takes most of the page's time on every request (a parallel scan of
an index, 62 ms of 86: docs/benchmarks.md), only to print a figure the home page already shows. A
clerk narrows such a list by township, village, status or name long before reaching its last page.
So the list counts its rows up to `cap` and, past it, says "more than cap" and pages through the
first `cap` rows; a narrower list is counted exactly.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """Paginator whose count stops at `cap` (settings.LIST_COUNT_CAP): `over_cap` says there are
    more rows than that, and the pages then reach the cap's rows and no further."""

    def __init__(self, object_list: Any, per_page: int, *args: Any, cap: int | None = None, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, *args, **kwargs)
        self.cap = settings.LIST_COUNT_CAP if cap is None else cap

    @cached_property
    def _counted(self) -> int:
        """The rows up to one past the cap: SELECT COUNT(*) FROM (SELECT id … LIMIT cap + 1), in no
        order (any cap + 1 rows tell), and without the columns the rows show: a sliced queryset is
        counted with everything it selects, which for the person list is two subqueries a row."""
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def over_cap(self) -> bool:
        return self._counted > self.cap
