"""What a ranking table's page reads per request besides its rows' ids: how many rows match (counted once per ranking
version and set of filters) and the rows rendered once per ranking version (kept here, by the version and what the
rows show)."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from rankings.ranking_state import Recent

# What a row's rank cell is written from (see rank_text), read per request: the rank can depend on the filters.
RANK_FIELDS = ("avg", "shown_rank", "is_reference", "flag_id", "comparable")


def rank_text(avg, shown_rank, is_reference, flag_id, comparable) -> str:
    """The rank shown: none for reference, flagged and not comparable rows (never ranked), nor without an average."""
    if avg is None or is_reference or flag_id or not comparable or shown_rank is None:
        return "—"
    return str(shown_rank)


# Rendered rows by (the ranking's version and display, entry id): a row is rendered once per change of the ranking
# (the version is in the key: an old row is never read again).
ROWS = Recent(20_000)

# Matching rows by (the ranking's version and filters): counting a suite's entries costs Postgres more than the rest
# of a page's queries; sorting, paging and the display options do not change the count.
COUNTS = Recent(10_000)


class CountedPaginator(Paginator):
    """Counts ``counted()``, the matching entries without the columns a ranking computes (which make Django build
    the count query more slowly than Postgres answers it), rather than the table's rows; where ``count_key`` names
    the ranking's version and filters, once per key (in COUNTS)."""

    def __init__(self, object_list, per_page, *, counted, count_key: str | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.counted, self.count_key = counted, count_key

    @cached_property
    def count(self) -> int:
        """``counted()``'s count (a callable: the matching entries are made only where they are counted)."""
        if self.count_key is None:
            return self.counted().count()
        found = COUNTS.get(self.count_key)
        return COUNTS.put(self.count_key, self.counted().count()) if found is None else found
