"""A ranking as a URL asks for it: the page, its CSV and JSON exports and the API read it the same way."""

from dataclasses import dataclass

from django.db.models import QuerySet

from evaluation.models import Suite, SuiteTask
from leaderboard.filters import DisplayForm, RankingFilter, display_options
from leaderboard.selectors import RankingOptions, ranking, suite_for_ranking
from leaderboard.tables import ranking_table


@dataclass
class RankingRequest:
    """The suite, its filters and display options, the matching rows."""

    suite: Suite
    suite_tasks: list[SuiteTask]
    filters: RankingFilter
    display: DisplayForm
    options: RankingOptions
    columns: list[str]
    rows: QuerySet

    def ordered(self, request) -> QuerySet:
        """The rows in the order the table shows them (the request's ``sort`` parameter), unpaginated."""
        table = ranking_table(self.suite_tasks, self.rows, request, self.options, self.columns, paginate=False)
        return table.data.data


def ranking_request(params, slug: str | None) -> RankingRequest:
    suite, suite_tasks = suite_for_ranking(slug)
    display, options, columns = display_options(params, suite_tasks)
    filters = RankingFilter(params, suite=suite, queryset=ranking(suite, suite_tasks, options))
    return RankingRequest(suite, suite_tasks, filters, display, options, columns, filters.qs)
