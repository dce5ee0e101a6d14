"""A suite's ranking as a request asks for it (filters, display options, sort, page): the view layer that the
ranking page, its CSV and JSON exports and the API share. The reads it is made of are rankings.selectors."""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, cast
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import Http404, QueryDict

from catalogue.models import Suite, SuiteTask
from rankings.filters import DisplayForm, RankingFilter, RankingOptions, display_options, score_field
from rankings.intervals import row_intervals
from rankings.models import LeaderboardEntry
from rankings.ranking_state import per_version
from rankings.selectors import entries_ordered, licenses_of, suite_for_ranking
from rankings.tables import RankingTable, ranking_table

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def suite_or_404(slug: str | None) -> tuple[Suite, list[SuiteTask]]:
    """The suite and its tasks as rankings.selectors.suite_for_ranking picks them; 404 where there is none."""
    found = suite_for_ranking(slug)
    if found is None:
        if slug is None:
            raise Http404("No benchmark suite is loaded yet: run `python manage.py load_suites`.")
        raise Http404(f"No suite {slug}.")
    return found


@dataclass(frozen=True)
class RankingRow:
    """A row of a ranking as its exports and the API give it."""

    rank: int | None  # by the average shown; none for reference, flagged and not comparable rows: never ranked
    model: str
    revision: str
    precision: str
    reference: bool
    flagged: bool
    average: float | None  # over all tasks, or over the visible ones only, as asked
    scores: dict[str, float | None]  # each visible task's score, raw or normalised as asked, in suite order
    ci: dict[str, list[float] | None]  # each visible task's 95% interval, on the same scale
    average_ci: list[float] | None  # the 95% interval of the average shown
    rank_band: list[int] | None  # [best, worst] rank the average's interval allows among the ranked models
    comparable: bool  # obtained in the suite's setting
    entry: LeaderboardEntry  # the rest of what the ranking shows: type, licence, size, likes, ...


class Shown(TypedDict):
    """What rankings.selectors.entries_ordered annotates an entry with."""

    shown_rank: int
    avg: float | None


class RankingRows:
    """A ranking's rows, each read from its entry when asked for: a paginator pages them in the database."""

    def __init__(self, entries: QuerySet, visible: list[tuple[int, SuiteTask]], options: RankingOptions):
        self.entries, self.visible, self.options = entries, visible, options

    def _row(self, entry: "WithAnnotations[LeaderboardEntry, Shown]") -> RankingRow:
        ci, average_ci = row_intervals(entry, self.visible, self.options)
        return RankingRow(
            rank=None if entry.is_reference or entry.flag_id or not entry.comparable else entry.shown_rank,
            model=entry.model_id,
            revision=entry.commit_sha,
            precision=entry.precision,
            reference=entry.is_reference,
            flagged=entry.flag_id is not None,
            average=entry.avg,
            scores={t.task: getattr(entry, score_field(i)) for i, t in self.visible},
            ci=ci,
            average_ci=average_ci,
            rank_band=entry.rank_band,
            comparable=entry.comparable,
            entry=entry,
        )

    def count(self) -> int:
        return self.entries.count()

    def __getitem__(self, index: slice) -> list[RankingRow]:
        return [self._row(entry) for entry in self.entries[index]]

    def __iter__(self) -> Iterator[RankingRow]:
        return map(self._row, self.entries)


@dataclass
class Ranking:
    """A suite's ranking as a URL asks for it (filters, display options, sort): the ranking page, its CSV and
    JSON exports and the API all read it this one way."""

    suite: Suite
    suite_tasks: list[SuiteTask]
    filters: RankingFilter  # the filters as asked; ``filters.qs``: the matching entries (counted as they are)
    display: DisplayForm  # the display options as in force
    options: RankingOptions
    columns: list[str]  # the task and optional columns shown
    version: str | None = None  # the ranking's cache key (RankingState): rows rendered once per version

    @property
    def visible(self) -> list[tuple[int, SuiteTask]]:
        return self.options.visible(self.suite_tasks)

    def table(self, request, *, paginate: bool = True) -> RankingTable:
        """The page's table of the matching entries, sorted (``sort``) and paged as the request asks."""
        return ranking_table(
            self.suite.slug,
            self.suite_tasks,
            self.entries(),
            request,
            self.options,
            self.columns,
            paginate=paginate,
            version=self.version,
            counted=lambda: self.filters.qs,
            count_key=f"{self.version}:{self.filters_key}" if self.version else None,
        )

    @property
    def filters_key(self) -> str:
        """A digest of the parameters the filters read, as asked: what the matching entries depend on besides the
        ranking (short: a count is kept under it)."""
        data = cast(QueryDict, self.filters.data)  # bound to the request's query
        asked = urlencode([(name, data.getlist(name)) for name in self.filters.filters if name in data], doseq=True)
        return hashlib.sha256(asked.encode()).hexdigest()[:32]

    def entries(self) -> QuerySet:
        """The matching entries with the ranking's columns, best first (entries_ordered). With a version, the filters
        are applied to the suite's entries with those columns, made once per version and display options (resolving
        the columns costs more than the page's query)."""
        if self.version is None:
            return entries_ordered(self.filters.qs, self.suite_tasks, self.options)
        options = self.options
        shown = (options.normalised, options.visible_average, sorted(options.hidden_tasks), options.subject)
        columns = per_version(
            f"{self.version}:entries:{shown!r}",
            lambda: entries_ordered(cast(QuerySet, self.filters.queryset), self.suite_tasks, options),
        )
        self.filters.is_valid()  # the form validated before filtering, as FilterSet.qs does
        return self.filters.filter_queryset(columns.all())

    def rows(self, request, *, references: bool = True) -> RankingRows:
        """Every matching row in the order the table shows them (the request's ``sort``), not paged; without
        the reference rows where ``references`` is false."""
        entries = self.table(request, paginate=False).data.data
        return RankingRows(entries if references else entries.filter(is_reference=False), self.visible, self.options)


def ranking(params, slug: str | None, *, version: str | None = None) -> Ranking:
    """The ranking that GET parameters ``params`` ask for, of the suite ``slug`` (as suite_or_404 picks it).
    With ``version`` (RankingState.cache_key), what depends on the ranking alone (the suite and its tasks, its
    licenses, its rendered rows) is computed once per change of it or of the suites' definitions."""
    suite, suite_tasks = per_version(f"{version}:suite", lambda: suite_or_404(slug)) if version else suite_or_404(slug)
    display, options, columns = display_options(params, suite_tasks)
    licenses = per_version(f"{version}:licenses", lambda: licenses_of(suite)) if version else licenses_of(suite)
    filters = RankingFilter(params, licenses=licenses, queryset=LeaderboardEntry.objects.filter(suite=suite))
    return Ranking(suite, suite_tasks, filters, display, options, columns, version)
