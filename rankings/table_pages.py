"""What a ranking table's page reads per request besides its rows' ids: how many rows match, and the rows rendered
once per ranking version (kept here, by the version and what the rows show)."""

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


class CountedPaginator(Paginator):
    """Counts ``counted``, the matching entries without the columns a ranking computes (which make Django build
    the count query more slowly than Postgres answers it), rather than the table's rows."""

    def __init__(self, object_list, per_page, *, counted, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.counted = counted

    @cached_property
    def count(self) -> int:
        return self.counted.count()
