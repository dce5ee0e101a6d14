"""What a ranking page's URL asks for: filters (django-filter) and display options, every one a GET parameter."""

import copy
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache, reduce
from operator import or_
from typing import NamedTuple, cast

import django_filters
from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from catalogue.models import SuiteTask
from catalogue.precision import Precision
from rankings.models import LeaderboardEntry
from submissions.models import ModelType

# (key, label, lower bound exclusive, upper bound inclusive) in billions of parameters.
SIZE_BUCKETS = [
    ("unknown", "?", None, None),
    ("1.5", "~1.5", 0, 1.5),
    ("3", "~3", 1.5, 3),
    ("7", "~7", 3, 7),
    ("13", "~13", 7, 13),
    ("35", "~35", 13, 35),
    ("60", "~60", 35, 60),
    ("70+", "70+", 60, None),
]


def _bucket_q(key: str) -> Q:
    _, _, low, high = next(b for b in SIZE_BUCKETS if b[0] == key)
    if key == "unknown":
        return Q(params_billions__isnull=True)
    q = Q(params_billions__gt=low)
    return q & Q(params_billions__lte=high) if high is not None else q


class RankingFilter(django_filters.FilterSet):
    # The multiple-choice filters test columns of the entry itself (no join can repeat a row), so none adds
    # django-filter's default DISTINCT, which over these wide rows cost more than the rest of the query.
    search = django_filters.CharFilter(
        method="filter_search",
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "model or organisation; separate terms with ;", "type": "search"}),
    )
    type = django_filters.MultipleChoiceFilter(
        field_name="model_type",
        choices=ModelType.choices,
        label="Model type",
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    precision = django_filters.MultipleChoiceFilter(
        choices=Precision.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    size = django_filters.MultipleChoiceFilter(
        method="filter_size",
        choices=[(key, label) for key, label, _, _ in SIZE_BUCKETS],
        label="Size (billions of parameters)",
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    params_min = django_filters.NumberFilter(
        field_name="params_billions", lookup_expr="gte", label="Min params (B)", min_value=0
    )
    params_max = django_filters.NumberFilter(
        field_name="params_billions", lookup_expr="lte", label="Max params (B)", min_value=0
    )
    license = django_filters.MultipleChoiceFilter(choices=[], widget=forms.CheckboxSelectMultiple, distinct=False)
    show_flagged = django_filters.BooleanFilter(
        method="filter_show_flagged", label="Show flagged", widget=forms.CheckboxInput
    )
    hide_merged = django_filters.BooleanFilter(
        method="filter_hide_merged", label="Hide merges", widget=forms.CheckboxInput
    )
    hide_moe = django_filters.BooleanFilter(
        method="filter_hide_moe", label="Hide mixture-of-experts", widget=forms.CheckboxInput
    )
    hide_private = django_filters.BooleanFilter(
        method="filter_hide_private", label="Hide deleted or private", widget=forms.CheckboxInput
    )
    could_be_first = django_filters.BooleanFilter(
        method="filter_could_be_first",
        label="Only models that could be first (tied with the leader)",
        widget=forms.CheckboxInput,
    )

    def __init__(self, data, *, licenses: list[str], **kwargs):
        super().__init__(data, **kwargs)
        self.licenses = tuple(licenses)
        self.filters["license"].extra = {**self.filters["license"].extra, "choices": [(n, n) for n in licenses]}

    def get_form_class(self):
        return _form_class(self.licenses)

    @property
    def form(self):
        """Bound: the form validated once per process for each set of licenses and parameters it reads (validating
        it costs more than the page's query), shared by the filter sets that ask the same. Read, never changed."""
        if not self.is_bound:
            return super().form
        if not hasattr(self, "_form"):
            names = _form_class(self.licenses).base_fields
            self._form = _validated_form(
                self.licenses, tuple((name, tuple(self.data.getlist(name))) for name in names if name in self.data)
            )
        return self._form

    def filter_search(self, queryset, name, value):
        terms = [term.strip() for term in value.split(";") if term.strip()]
        if not terms:
            return queryset
        return queryset.filter(reduce(or_, (Q(model_id__icontains=term) for term in terms)))

    def filter_size(self, queryset, name, value):
        return queryset.filter(reduce(or_, (_bucket_q(key) for key in value))) if value else queryset

    def filter_show_flagged(self, queryset, name, value):
        return queryset if value else queryset.filter(flag__isnull=True)

    def filter_hide_merged(self, queryset, name, value):
        return queryset.filter(is_merged=False) if value else queryset

    def filter_hide_moe(self, queryset, name, value):
        return queryset.filter(is_moe=False) if value else queryset

    def filter_hide_private(self, queryset, name, value):
        return queryset.filter(on_hub=True) if value else queryset

    def filter_could_be_first(self, queryset, name, value):
        return queryset.filter(rank_best=1) if value else queryset


class _ShallowFilters(OrderedDict):
    """A filter set's declared filters, which django-filter deep-copies for each filter set (the copy of their
    widgets and choices cost more than the page's query): copied one level instead, each with its own ``extra`` (the
    only part changed per filter set) and, for a filter by method, its own FilterMethod (bound to the copy's parent)."""

    def __deepcopy__(self, memo):
        copies = OrderedDict()
        for name, declared in self.items():
            copies[name] = copy.copy(declared)
            copies[name].extra = dict(declared.extra)
            if declared.method is not None:
                copies[name].method = declared.method
        return copies


RankingFilter.base_filters = _ShallowFilters(RankingFilter.base_filters)


@lru_cache(maxsize=64)
def _form_class(licenses: tuple[str, ...]) -> type[forms.Form]:
    """The filters' form class for a suite's licenses, built once: django-filter builds the class, and each
    filter's field, for every filter set. Its fields are copied one level per form (see _ShallowFields)."""
    filters = RankingFilter(None, licenses=list(licenses), queryset=LeaderboardEntry.objects.none())
    form = django_filters.FilterSet.get_form_class(filters)
    form.base_fields = _ShallowFields(form.base_fields)
    return form


@lru_cache(maxsize=512)
def _validated_form(licenses: tuple[str, ...], asked: tuple) -> forms.Form:
    form = _form_class(licenses)(MultiValueDict({name: list(values) for name, values in asked}))
    form.is_valid()
    return form


class _ShallowFields(OrderedDict):
    """A form's fields, which Django deep-copies for each form: copied one level instead (the page validates with
    them and reads their labels and choices, never changes them)."""

    def __deepcopy__(self, memo):
        return OrderedDict((name, copy.copy(declared)) for name, declared in self.items())


# Optional columns: (key, header, shown by default). The rank, type icon, model and average always show.
OPTIONAL_COLUMNS = [
    ("model_type", "Model type", False),
    ("architecture", "Architecture", False),
    ("weight_type", "Weight type", False),
    ("precision", "Precision", True),
    ("license", "License", False),
    ("params", "#Params (B)", True),
    ("likes", "Hub likes", True),
    ("on_hub", "On the hub", False),
    ("sha", "Commit", False),
    ("submitted", "Submitted", True),
    ("format_gap", "Format gap", False),
    ("co2", "CO₂ (g)", False),
]


@dataclass(frozen=True)
class RankingOptions:
    """How a ranking is shown: raw or normalised scores, which task columns, what the average spans."""

    normalised: bool = False
    visible_average: bool = False
    hidden_tasks: frozenset[str] = field(default_factory=frozenset)
    subject: str = ""  # a subject of the suite's breakdowns to show and sort by (e.g. "Pharmacology")

    def visible(self, suite_tasks: list[SuiteTask]) -> list[tuple[int, SuiteTask]]:
        return [(i, t) for i, t in enumerate(suite_tasks) if t.task not in self.hidden_tasks]


def score_field(index: int) -> str:
    """The column under which a ranking gives the score of its suite's task number ``index``."""
    return f"score_{index}"


class DisplayForm(forms.Form):
    scores = forms.ChoiceField(
        choices=[("raw", "raw accuracy"), ("norm", "normalised to the random baseline")],
        required=False,
        widget=forms.RadioSelect,
        label="Scores",
    )
    average = forms.ChoiceField(
        choices=[("all", "all tasks"), ("visible", "visible task columns only")],
        required=False,
        widget=forms.RadioSelect,
        label="Average over",
    )
    cols = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, label="Columns")
    subject = forms.CharField(required=False, max_length=200, label="Sort by subject")

    def __init__(self, data=None, *, suite_tasks: "Sequence[TaskColumn]", **kwargs):
        super().__init__(data, **kwargs)
        cast(forms.ChoiceField, self.fields["cols"]).choices = [(t.task, t.name) for t in suite_tasks] + [
            (key, label) for key, label, _ in OPTIONAL_COLUMNS
        ]


class TaskColumn(NamedTuple):
    """What the display options read of a suite's task."""

    task: str
    name: str


def display_options(data, suite_tasks: list[SuiteTask]) -> tuple[DisplayForm, RankingOptions, list[str]]:
    """The display options a URL asks for (defaults for any missing or invalid), the form showing them
    as in force, and the optional and task columns to show. Worked out once per process for each set of display
    parameters and suite columns (the forms cost more than a page's query); what it returns is read, never changed."""
    asked = {name: tuple(data.getlist(name)) for name in ("scores", "average", "cols", "subject") if name in data}
    return _display_options(tuple(TaskColumn(t.task, t.name) for t in suite_tasks), tuple(sorted(asked.items())))


@lru_cache(maxsize=256)
def _display_options(
    suite_tasks: tuple[TaskColumn, ...], asked: tuple
) -> tuple[DisplayForm, RankingOptions, list[str]]:
    data = MultiValueDict({name: list(values) for name, values in asked})
    form = DisplayForm(data, suite_tasks=suite_tasks)
    form.is_valid()
    cleaned = form.cleaned_data
    columns = cleaned.get("cols") or [t.task for t in suite_tasks] + [
        k for k, _, default in OPTIONAL_COLUMNS if default
    ]
    options = RankingOptions(
        normalised=cleaned.get("scores") == "norm",
        visible_average=cleaned.get("average") == "visible",
        hidden_tasks=frozenset(t.task for t in suite_tasks if t.task not in columns),
        subject=(cleaned.get("subject") or "").strip(),
    )
    shown = DisplayForm(
        suite_tasks=suite_tasks,
        initial={
            "scores": "norm" if options.normalised else "raw",
            "average": "visible" if options.visible_average else "all",
            "cols": columns,
        },
    )
    return shown, options, columns


MAX_PER_PAGE = 100  # rows of a ranking page, whatever ``per_page`` asks


class PagingForm(forms.Form):
    """The table's sort, page and rows per page (django-tables2 reads ``sort``, ``page``, ``per_page``)."""

    sort = forms.CharField(required=False)
    page = forms.IntegerField(min_value=1, required=False)
    per_page = forms.IntegerField(min_value=1, required=False)

    def clean_sort(self):
        keys = [key.strip() for key in self.cleaned_data["sort"].split(",")]
        return ",".join(key for key in keys if SORTABLE.fullmatch(key))

    def clean_per_page(self):
        per_page = self.cleaned_data["per_page"]
        return None if per_page is None else min(per_page, MAX_PER_PAGE)


# The ranking table's columns (tables.RankingTable, the task columns score_<i>), "-" for descending.
SORTABLE = re.compile(
    "-?("
    + "|".join(
        [
            "rank",
            "band",
            "subject_score",
            "type_icon",
            "model_id",
            "avg",
            r"score_\d{1,4}",
            *(key for key, _, _ in OPTIONAL_COLUMNS),
        ]
    )
    + ")"
)


MAX_VALUES = 100  # values one parameter may carry (a suite has a few dozen licenses); the rest are dropped


def _bounded(data: QueryDict) -> QueryDict:
    """``data`` with each parameter's values once, at most MAX_VALUES of them: repeated values made the filter
    forms' work grow with the square of their number."""
    bounded = QueryDict(mutable=True)
    for name, values in data.lists():
        bounded.setlist(name, list(dict.fromkeys(values))[:MAX_VALUES])
    return bounded


def _values(data, name: str) -> list[str]:
    return sorted({value.strip()[:200] for value in data.getlist(name) if value.strip()})


def ranking_query(data: QueryDict, *, paging: bool = True) -> QueryDict:
    """The parameters of ``data`` that a ranking reads, each as its form cleans it (an invalid one dropped, as
    the ranking ignores it; ``per_page`` clamped to MAX_PER_PAGE), in a fixed order; anything else left out.
    Requests that ask for the same ranking get the same query: the key of its cached page and exports, and
    what they are rendered from. Licenses and columns, whose choices are the suite's, are kept as asked (the
    ranking checks them): no query is needed. Without ``paging``: no page nor rows per page (for the exports).
    Immutable, like request.GET."""
    return QueryDict(_cleaned(_bounded(data).urlencode(), paging))


@lru_cache(maxsize=512)
def _cleaned(query_string: str, paging: bool) -> str:
    """ranking_query of a query string, remembered: cleaning through the forms costs more than serving a cached
    page. Bounded (query strings are at most a request line long), so junk parameters cannot grow a process."""
    data = QueryDict(query_string)
    query = QueryDict(mutable=True)
    filters = RankingFilter(data, licenses=_values(data, "license"), queryset=LeaderboardEntry.objects.none()).form
    filters.is_valid()
    for name, value in filters.cleaned_data.items():
        if value is True:
            query[name] = "on"
        elif isinstance(value, list):
            query.setlist(name, sorted(value))
        elif value not in (None, "", False):
            query[name] = str(value)
    display = DisplayForm(data, suite_tasks=[])
    display.is_valid()
    if display.cleaned_data.get("scores") == "norm":
        query["scores"] = "norm"
    if display.cleaned_data.get("average") == "visible":
        query["average"] = "visible"
    if _values(data, "cols"):
        query.setlist("cols", _values(data, "cols"))
    if (display.cleaned_data.get("subject") or "").strip():
        query["subject"] = display.cleaned_data["subject"].strip()
    table = PagingForm(data)
    table.is_valid()
    for name in ("sort", "page", "per_page") if paging else ("sort",):
        if table.cleaned_data.get(name):
            query[name] = str(table.cleaned_data[name])
    return query.urlencode()
