import django_tables2 as tables
from django.utils.html import format_html

from leaderboard.selectors import score_field


class PercentColumn(tables.Column):
    """A score in [0, 1] shown as a percentage with two decimals."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "num"}, "th": {"class": "num"}})
        super().__init__(*args, **kwargs)

    def render(self, value):
        return f"{value * 100:.2f}"


class RankingTable(tables.Table):
    model_id = tables.Column(verbose_name="Model")
    average = PercentColumn(verbose_name="Average ⬆️")
    precision = tables.Column(verbose_name="Precision")
    submitted_at = tables.DateTimeColumn(verbose_name="Submitted", format="Y-m-d")

    class Meta:
        attrs = {"class": "ranking"}
        order_by = "-average"
        empty_text = "No model has been ranked on this suite yet."

    def render_model_id(self, value, record):
        return format_html(
            '<a href="https://huggingface.co/{}" rel="noopener" title="commit {}">{}</a>',
            value,
            record.commit_sha,
            value,
        )


def ranking_table(suite_tasks, entries, request) -> RankingTable:
    """Columns: model, average, one per task (in suite order), precision, submission date."""
    extra = [(score_field(i), PercentColumn(verbose_name=t.name)) for i, t in enumerate(suite_tasks)]
    sequence = ["model_id", "average", *[name for name, _ in extra], "precision", "submitted_at"]
    table = RankingTable(entries, extra_columns=extra, sequence=sequence)
    tables.RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return table
