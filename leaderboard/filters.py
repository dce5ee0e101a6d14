"""What a ranking page's URL asks for: filters (django-filter) and display options, every one a GET parameter."""

from functools import reduce
from operator import or_

import django_filters
from django import forms
from django.db.models import Q

from evaluation.models import SuiteTask
from leaderboard.selectors import RankingOptions, licenses_of
from submissions.models import ModelType, Precision

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
    search = django_filters.CharFilter(
        method="filter_search",
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "model or organisation; separate terms with ;", "type": "search"}),
    )
    type = django_filters.MultipleChoiceFilter(
        field_name="model_type", choices=ModelType.choices, label="Model type", widget=forms.CheckboxSelectMultiple
    )
    precision = django_filters.MultipleChoiceFilter(choices=Precision.choices, widget=forms.CheckboxSelectMultiple)
    size = django_filters.MultipleChoiceFilter(
        method="filter_size",
        choices=[(key, label) for key, label, _, _ in SIZE_BUCKETS],
        label="Size (billions of parameters)",
        widget=forms.CheckboxSelectMultiple,
    )
    params_min = django_filters.NumberFilter(
        field_name="params_billions", lookup_expr="gte", label="Min params (B)", min_value=0
    )
    params_max = django_filters.NumberFilter(
        field_name="params_billions", lookup_expr="lte", label="Max params (B)", min_value=0
    )
    license = django_filters.MultipleChoiceFilter(choices=[], widget=forms.CheckboxSelectMultiple)
    show_flagged = django_filters.BooleanFilter(
        method="filter_show_flagged", label="Show flagged 🏴‍☠️", widget=forms.CheckboxInput
    )
    hide_merged = django_filters.BooleanFilter(method="filter_hide_merged", label="Hide merges", widget=forms.CheckboxInput)
    hide_moe = django_filters.BooleanFilter(
        method="filter_hide_moe", label="Hide mixture-of-experts", widget=forms.CheckboxInput
    )
    hide_private = django_filters.BooleanFilter(
        method="filter_hide_private", label="Hide deleted or private", widget=forms.CheckboxInput
    )

    def __init__(self, data, *, suite, **kwargs):
        super().__init__(data, **kwargs)
        self.filters["license"].extra["choices"] = [(name, name) for name in licenses_of(suite)]

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


# Optional columns: (key, header, shown by default). The rank, type icon, model and average always show.
OPTIONAL_COLUMNS = [
    ("model_type", "Type", False),
    ("architecture", "Architecture", False),
    ("weight_type", "Weight type", False),
    ("precision", "Precision", True),
    ("license", "License", False),
    ("params", "#Params (B)", True),
    ("likes", "Hub ❤️", True),
    ("on_hub", "On the hub", False),
    ("sha", "Commit", False),
    ("submitted", "Submitted", True),
]


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

    def __init__(self, data=None, *, suite_tasks: list[SuiteTask], **kwargs):
        super().__init__(data, **kwargs)
        self.fields["cols"].choices = [(t.task, t.name) for t in suite_tasks] + [
            (key, label) for key, label, _ in OPTIONAL_COLUMNS
        ]


def display_options(data, suite_tasks: list[SuiteTask]) -> tuple[DisplayForm, RankingOptions, list[str]]:
    """The display options a URL asks for (defaults for any missing or invalid), the form showing them
    as in force, and the optional and task columns to show."""
    asked = DisplayForm(data, suite_tasks=suite_tasks)
    asked.is_valid()
    cleaned = asked.cleaned_data
    columns = cleaned.get("cols") or [t.task for t in suite_tasks] + [k for k, _, default in OPTIONAL_COLUMNS if default]
    options = RankingOptions(
        normalised=cleaned.get("scores") == "norm",
        visible_average=cleaned.get("average") == "visible",
        hidden_tasks=frozenset(t.task for t in suite_tasks if t.task not in columns),
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


def checkbox_groups(filters: RankingFilter, display: DisplayForm, data) -> dict[str, list[tuple[str, str, bool]]]:
    """(value, label, checked) of every choice of the form's checkbox and radio groups, for the template to
    write out directly (Django's widget templates, one per option, cost more than the ranking's query)."""
    groups = {}
    for name in ("type", "precision", "size", "license"):
        chosen = set(data.getlist(name))
        groups[name] = [(str(v), str(label), str(v) in chosen) for v, label in filters.form.fields[name].choices]
    for name in ("scores", "average", "cols"):
        initial = display.initial[name]
        chosen = set(initial) if isinstance(initial, list) else {initial}
        groups[name] = [(str(v), str(label), str(v) in chosen) for v, label in display.fields[name].choices]
    return groups
