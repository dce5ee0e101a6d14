import hashlib
import html
from functools import lru_cache
from urllib.parse import urlencode

import django_tables2 as tables
from django.db.models import F
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django_tables2.templatetags.django_tables2 import table_page_range

from rankings.filters import OPTIONAL_COLUMNS, score_field
from rankings.intervals import row_intervals
from rankings.numbers import difference_html, interval_text, percent
from rankings.table_pages import RANK_FIELDS, ROWS, CountedPaginator, rank_text
from submissions.models import ModelType

PER_PAGE = 50
TYPE_ICONS = {value: label.split(" ", 1)[0] for value, label in ModelType.choices}
NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


def numbers_titled(title: str, td: str = "num") -> dict:
    """A numeric column's attributes, its header explained by ``title``."""
    return {"td": {"class": td}, "th": {"class": "num", "title": title}}


class Column(tables.Column):
    """A column sorted on one field, empty values last in either direction, ties by model name."""

    def __init__(self, field: str, **kwargs):
        self.field = field
        kwargs.setdefault("accessor", field)
        kwargs.setdefault("order_by", (field,))
        super().__init__(**kwargs)

    def render(self, value, record=None):
        return value

    def __deepcopy__(self, memo):
        """Shared, not copied: django-tables2 deep-copies a table's columns per instance, which cost more than the
        page's query, and nothing changes a column once declared (what varies per request is on the table)."""
        return self

    def order(self, queryset, is_descending):
        key = F(self.field).desc(nulls_last=True) if is_descending else F(self.field).asc(nulls_last=True)
        return queryset.order_by(key, "model_id"), True


class RankColumn(Column):
    """Rank 1 is the best average: sorting by rank ascending is sorting by average descending."""

    def order(self, queryset, is_descending):
        return super().order(queryset, not is_descending)


class PercentColumn(Column):
    """A score in [0, 1] shown as a percentage with one decimal (rankings.numbers)."""

    def __init__(self, field, **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(field, **kwargs)

    def render(self, value, record=None):
        return percent(value)


class BandColumn(Column):
    """The rank band: sorted by its best rank, then its worst."""

    def order(self, queryset, is_descending):
        if is_descending:
            keys = [F("rank_best").desc(nulls_last=True), F("rank_worst").desc(nulls_last=True)]
        else:
            keys = [F("rank_best").asc(nulls_last=True), F("rank_worst").asc(nulls_last=True)]
        return queryset.order_by(*keys, "model_id"), True


def _interval_html(interval) -> str:
    """Both ends of the 95% interval (rankings.numbers); only numbers: nothing to escape."""
    ends = interval_text(interval)
    return f' <small class="ci">{ends}</small>' if ends else ""


def _escape(value) -> str:
    """conditional_escape for the 1,000 cells of a page, without its lazy-string wrapper."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


class RankingTable(tables.Table):
    rank = RankColumn("avg", verbose_name="Rank", attrs=NUM)
    band = BandColumn(
        "rank_best",
        verbose_name="Band",
        attrs=numbers_titled("the ranks the 95% interval of the average allows", td="num band"),
    )
    type_icon = Column("model_type", verbose_name="Type", attrs={"td": {"class": "icon"}})
    model_id = Column("model_id", verbose_name="Model", attrs={"td": {"class": "model"}, "th": {"class": "model"}})
    avg = PercentColumn("avg", verbose_name="Average")
    model_type = Column("model_type", verbose_name="Model type")
    architecture = Column("architecture", verbose_name="Architecture")
    weight_type = Column("weight_type", verbose_name="Weight type")
    precision = Column("precision", verbose_name="Precision")
    license = Column("license", verbose_name="License")
    params = Column("params_billions", verbose_name="#Params (B)", attrs=NUM)
    likes = Column("likes", verbose_name="Hub likes", attrs=NUM)
    on_hub = Column("on_hub", verbose_name="On the hub")
    sha = Column("commit_sha", verbose_name="Commit")
    submitted = Column("submitted_at", verbose_name="Submitted")
    format_gap = Column(
        "format_gap",
        verbose_name="Format gap",
        attrs=numbers_titled("generative minus log-likelihood accuracy, paired by question (points)"),
    )
    co2 = Column(
        "co2_g",
        verbose_name="CO₂ (g)",
        attrs=numbers_titled("the run's estimated emissions, g CO₂eq"),
    )

    class Meta:
        attrs = {"class": "ranking", "id": "ranking"}
        order_by = "-avg"
        empty_text = "No model matches: change the filters above."

    @cached_property
    def compare_url(self) -> str:  # read only where a row is rendered
        return f"{reverse('compare')}?{urlencode({'suite': self.suite_slug})}"

    def render_band(self, value, record):
        return f"{value}–{record.rank_worst}"

    def render_type_icon(self, value, record):
        if record.is_reference:
            return mark_safe('<span aria-hidden="true">📌</span><span class="visually-hidden">reference</span>')
        name = html.escape(value)
        return mark_safe(
            f'<span aria-hidden="true" title="{name}">{TYPE_ICONS.get(value, "?")}</span>'
            f'<span class="visually-hidden">{name}</span>'
        )

    def render_model_id(self, value, record):
        setting = (
            format_html(
                ' <span class="badge not-comparable" title="{}">not comparable</span>',
                ", ".join(
                    filter(
                        None, [f"{record.num_fewshot}-shot" if record.num_fewshot is not None else "", record.scoring]
                    )
                )
                or "not the suite's setting",
            )
            if not record.comparable
            else ""
        )
        if record.is_reference:
            return format_html(
                '{} <span class="badge" title="{}">reference</span>{}',
                value,
                record.reference_source or "reference row",
                setting,
            )
        org, name = value.split("/", 1)
        flag = (
            format_html(
                ' <a class="flag-icon badge" href="{}" title="flagged by the community: see why">'
                '<span aria-hidden="true">🏴‍☠️</span> flagged</a>',
                reverse("flag", args=[record.flag_id]),
            )
            if record.flag_id
            else ""
        )
        # short, as 50 of them make a page (the commit is a column and on the model page); each value escaped
        # here once (format_html escapes every argument through a lazy-string wrapper: the row's largest cost)
        model, url = html.escape(value), html.escape(reverse("model", args=[org, name]))
        compare = html.escape(f"{self.compare_url}&{urlencode({'models': value})}")
        return mark_safe(
            f'<a href="{url}">{model}</a> <a class="hub" href="https://huggingface.co/{model}"'
            f' title="on the Hugging Face hub"><span aria-hidden="true">🤗</span><span class="visually-hidden">'
            f'{model} on the Hugging Face hub</span></a> <a class="compare-link" href="{compare}" title="compare">'
            f'<span aria-hidden="true">⇄</span><span class="visually-hidden">compare {model}</span></a>'
            f"{flag}{setting}"
        )

    def render_params(self, value, record):
        return f"{value:.3g}"

    def render_on_hub(self, value, record):
        return "" if record.is_reference else ("yes" if value else "no")

    def render_sha(self, value, record):
        return format_html('<code title="{}">{}</code>', value, value[:7])

    def render_format_gap(self, value, record):
        return mark_safe(difference_html(value, record.format_gap_ci))

    def render_co2(self, value, record):
        return f"{value:.3g}"

    def render_submitted(self, value, record):
        return "" if record.is_reference else value.strftime("%Y-%m-%d")

    def _plan(self) -> list[tuple]:
        """Per column after the rank: the field, its render_* method, the cell's class, its interval's key."""
        tasks = {score_field(i): t.task for i, t in self.visible}
        plan = []
        for bound in list(self.columns)[1:]:  # the rank first: written per request (see body_html)
            column = bound.column
            render = getattr(self, f"render_{bound.name}", None) or column.render
            td = column.attrs.get("td", {}).get("class")
            interval = "average" if bound.name == "avg" else tasks.get(bound.name)
            plan.append((column.field, render, format_html(' class="{}"', td) if td else "", interval))
        return plan

    def _row_parts(self, record, plan) -> tuple[str, str]:
        """A row as (its opening tag, its cells after the rank and the closing tag)."""
        ci, average_ci = row_intervals(record, self.visible, self.options)
        ci["average"] = average_ci
        cells = []
        for field, render, td, interval in plan:
            value = getattr(record, field)
            cell = "—" if value is None or value == "" else _escape(render(value=value, record=record))
            if interval and value is not None:
                cell += _interval_html(ci.get(interval))
            cells.append(f"<td{td}>{cell}</td>")
        classes = " ".join(
            n
            for n, on in (
                ("reference", record.is_reference),
                ("flagged", record.flag_id),
                ("could-be-first", record.rank_best == 1),
                ("not-comparable", not record.comparable),
            )
            if on
        )
        return f'<tr class="{classes}" data-model="{html.escape(record.model_id)}">', f"{''.join(cells)}</tr>"

    def body_html(self) -> str:
        """The page's rows, rendered straight from the render_* methods: django-tables2's per-cell machinery
        (bound rows, signature inspection) costs ten times more than the page's query. Where the table has a
        ``row_cache`` key (the ranking's version and what the rows show), each row is rendered once per change of
        the ranking and kept in ROWS: a page then reads only its rows' ids and ranks."""
        assert self.sequence[0] == "rank", "the rank is the first column"
        if not hasattr(self, "page") or self.row_cache is None:
            plan = self._plan()
            records = [row.record for row in (self.page.object_list if hasattr(self, "page") else self.rows)]
            return mark_safe("\n".join(self._row_html(r, self._row_parts(r, plan)) for r in records))
        keys = list(self.page.object_list.data.values_list(*RANK_FIELDS, "pk"))
        parts = {pk: ROWS.get((self.row_cache, pk)) for *_, pk in keys}
        missing = [pk for pk, found in parts.items() if found is None]
        if missing:
            plan = self._plan()
            for record in self.data.data.filter(pk__in=missing):
                parts[record.pk] = ROWS.put((self.row_cache, record.pk), self._row_parts(record, plan))
        rows = []
        for *rank, pk in keys:
            opening, rest = parts[pk]
            rows.append(f'{opening}<td class="num">{rank_text(*rank)}</td>{rest}')
        return mark_safe("\n".join(rows))

    def _link(self, key: str, value) -> str:
        """The current query with ``key`` set to ``value``, as django-tables2's querystring_replace writes it (in
        place, or last where the query has no ``key``); the rest of the query encoded once per key."""
        if key not in self._encoded:
            params = list(self.query.lists())
            at = next((i for i, (name, _) in enumerate(params) if name == key), len(params))
            self._encoded[key] = urlencode(params[:at], doseq=True), urlencode(params[at + 1 :], doseq=True)
        before, after = self._encoded[key]
        return html.escape("?" + "&".join(part for part in (before, urlencode({key: value}), after) if part))

    def head_html(self) -> str:
        """The header row: each sortable column links to its next sort (django-tables2's: ascending first, then the
        opposite of the current); the sorted one says how (aria-sort). Each cell's attributes are the column's ``th``
        attrs with django-tables2's classes (``orderable``, ``asc`` or ``desc``), written here, as its bound columns
        rebuild every attribute dictionary, and every sort, on each read."""
        ordered = {alias.bare: alias.is_descending for alias in self.order_by or ()}
        cells = []
        for column in self.columns:
            name, declared = column.name, column.column
            attrs = dict(declared.attrs.get("th", {}))
            classes = set(attrs.get("class", "").split()) - {""}
            sort = ""
            if column.orderable:
                classes.add("orderable")
            if name in ordered:
                classes.add("desc" if ordered[name] else "asc")
                sort = f' aria-sort="{"descending" if ordered[name] else "ascending"}"'
            attrs["class"] = " ".join(sorted(classes))
            written = " ".join(f'{key}="{html.escape(str(value))}"' for key, value in attrs.items() if value)
            header = _escape(column.header)
            if column.orderable:
                if name in ordered:
                    following = name if ordered[name] else f"-{name}"
                else:
                    following = f"-{name}" if declared.initial_sort_descending else name
                header = f'<a href="{self._link(self.prefixed_order_by_field, following)}">{header}</a>'
            cells.append(f'<th scope="col" {written}{sort}>{header}</th>')
        return mark_safe("".join(cells))

    def pager_html(self) -> str:
        """Links to the previous, next and nearby pages (none for a single page)."""
        if not hasattr(self, "page") or self.paginator.num_pages <= 1:
            return ""
        page, field, items = self.page, self.prefixed_page_field, []
        if page.has_previous():
            items.append(
                f'<li class="previous"><a href="{self._link(field, page.previous_page_number())}">previous</a></li>'
            )
        for number in table_page_range(page, self.paginator):
            active = ' class="active"' if number == page.number else ""
            link = "…" if number == "..." else f'<a href="{self._link(field, number)}">{number}</a>'
            items.append(f"<li{active}>{link}</li>")
        if page.has_next():
            items.append(f'<li class="next"><a href="{self._link(field, page.next_page_number())}">next</a></li>')
        return mark_safe(
            '<nav aria-label="Pages of the ranking" hx-boost="true"><ul class="pagination">\n'
            + "\n".join(items)
            + "\n</ul></nav>"
        )

    def _row_html(self, record, parts: tuple[str, str]) -> str:
        opening, rest = parts
        rank = rank_text(*(getattr(record, name) for name in RANK_FIELDS))
        return f'{opening}<td class="num">{rank}</td>{rest}'


@lru_cache(maxsize=1024)
def _percent_column(field: str, header: str) -> PercentColumn:
    """Made once, shared by every table that shows it (a column is never changed once made: see Column)."""
    return PercentColumn(field, verbose_name=header)


def ranking_table(
    suite_slug,
    suite_tasks,
    entries,
    request,
    options,
    columns,
    *,
    paginate: bool = True,
    version: str | None = None,
    counted=None,
) -> RankingTable:
    """The rank, icon, model and average, then the visible task columns (suite order), then optional ones; with
    ``counted`` (``entries`` without their computed columns), pages count that."""
    visible = options.visible(suite_tasks)
    extra = [(score_field(i), _percent_column(score_field(i), t.name)) for i, t in visible]
    optional = [key for key, _, _ in OPTIONAL_COLUMNS]
    subject = [("subject_score", _percent_column("subject_score", options.subject))] if options.subject else []
    sequence = ["rank", "band", "type_icon", "model_id", "avg", *[name for name, _ in subject + extra], *optional]
    exclude = [key for key in optional if key not in columns]
    table = RankingTable(
        entries,
        extra_columns=subject + extra,
        sequence=sequence,
        exclude=exclude,
        order_by="-subject_score" if options.subject else "-avg",
    )
    table.suite_slug = suite_slug
    table.visible, table.options = visible, options
    # rows kept per ranking version and display (see RankingTable.body_html); none without a version
    shown = repr((suite_slug, sorted(columns), options.normalised, options.visible_average, options.subject))
    table.row_cache = f"{version}:{hashlib.sha256(shown.encode()).hexdigest()[:16]}" if version else None
    table.query, table._encoded = request.GET, {}
    paging = {"per_page": PER_PAGE} | (
        {"paginator_class": CountedPaginator, "counted": counted} if counted is not None else {}
    )
    tables.RequestConfig(request, paginate=paging if paginate else False).configure(table)
    return table
