"""The ranking page's body (tabs, heading, filter form) and its results (counts, table, pager, legend), written in
Python as its rows are (rankings.tables): through templates, their nodes, variable lookups and context
processors cost more than the page's queries, and every new filter combination (an htmx swap) is rendered anew.
What depends on the ranking alone (tabs, heading) is rendered once per version of it. Every value from the
request or the database is escaped here (``_e``, ``_escaped``)."""

import html
from functools import lru_cache

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from rankings.filters import OPTIONAL_COLUMNS, DisplayForm, RankingFilter
from rankings.ranking import Ranking
from rankings.ranking_state import RankingState, per_version
from rankings.selectors import empty_suite_hint


def _e(value) -> str:
    """Django's escape (the same five characters) without its lazy-string wrapper."""
    return html.escape(str(value))


@lru_cache(maxsize=256)
def _url(name: str, *args) -> str:
    """reverse(), escaped, once per process (the site is served under one script prefix: see config.context_processors)."""
    return _e(reverse(name, args=args))


def results_html(ranked: Ranking, request) -> str:
    """``#ranking-results``, the part htmx swaps when a filter changes: the counts and exports, the table of the
    page that the request asks for (its GET: the cleaned query), its pager and the legend."""
    suite, options, query = ranked.suite, ranked.options, request.GET
    table = ranked.table(request)
    count = table.paginator.count
    export = query.copy()
    export.pop("page", None)
    export = _e(export.urlencode())
    empty = ""
    hint = empty_suite_hint(suite) if not count else None  # asked for only for an empty table
    if hint is not None:
        where = (
            f'The demo board, with tiny models evaluated offline, is at <a href="{_e(reverse("leaderboard", args=[hint["slug"]]))}">'
            f"{_e(hint['name'])}</a>."
            if hint.get("slug")
            else "Run <code>make demo</code> to evaluate a few tiny models offline on the <code>demo-medical</code> suite "
            "and see a board."
        )
        empty = f'<p class="notice empty-suite">No model is ranked on {_e(suite.name)} yet. {where}</p>'
    form = ranked.filters.form
    errors = (
        '<div class="errorlist">'
        + "".join(f"<p>{_e(field.label)}: {_e(error)}</p>" for field in form for error in field.errors)
        + "</div>"
        if form.errors
        else ""
    )
    sorted_by = f" · sorted by {_e(options.subject)}" if options.subject else ""
    sort = query.get("sort")
    sort_input = f'<input type="hidden" name="sort" value="{_e(sort)}" form="ranking-filters">' if sort else ""
    no_rows = f'<tr><td colspan="{len(table.columns)}">{_e(table.empty_text)}</td></tr>' if not count else ""
    scores = "normalised to the random baseline" if options.normalised else "raw accuracy"
    average = "the visible task columns" if options.visible_average else "all of the suite's tasks"
    return mark_safe(
        f'<div id="ranking-results" class="ranking-results">\n{empty}\n{errors}\n'
        f'<p class="summary results-summary" role="status"><strong>{count} row{"" if count == 1 else "s"}</strong>'
        f"{sorted_by} ·\n"
        f'  export <a href="{_url("leaderboard-csv", suite.slug)}?{export}">CSV</a> '
        f'<a href="{_url("leaderboard-json", suite.slug)}?{export}">JSON</a></p>\n'
        f"{sort_input}\n"
        f'<div class="table-scroll" tabindex="0" role="region" aria-label="{_e(suite.name)} ranking" '
        'hx-target="#ranking-results" hx-swap="outerHTML" hx-push-url="true" hx-sync="#ranking-filters:replace">'
        f"<table {table.attrs.as_html()}>\n"
        f'<thead hx-boost="true"><tr>{table.head_html()}</tr></thead>\n'
        f"<tbody>\n{table.body_html()}{no_rows}</tbody>\n</table>\n{table.pager_html()}\n</div>\n"
        '<p class="muted legend">\n'
        f"  Scores are {scores} in percent,\n"
        f"  the average is over {average};\n"
        "  in brackets each score's 95% interval; the band is the ranks that interval of the average allows (shaded: "
        "could be\n"
        f'  first), see <a href="{_url("about")}#statistics">how</a> ·\n'
        "  “reference” rows are published scores, never ranked · “flagged” rows are disputed by the community (shown "
        "on request) ·\n"
        "  “compare” opens the model beside others.\n"
        "</p>\n</div>\n"
    )


def checkbox_groups(filters: RankingFilter, display: DisplayForm, data) -> dict[str, str]:
    """The inputs of the form's checkbox and radio groups and of its toggles, each group's as HTML: a label per
    choice, checked as asked, and ``data-default`` where the choice is the default (the page leaves those out of the URL). Written
    here rather than by Django's widget templates (one per option) or a template loop, which cost more than the
    ranking's query."""
    groups = {}
    for name in ("type", "precision", "size", "license"):
        chosen = set(data.getlist(name))
        groups[name] = _inputs(
            "checkbox",
            name,
            [(v, label, str(v) in chosen, False) for v, label in filters.form.fields[name].choices],
        )
    optional = {key: default for key, _, default in OPTIONAL_COLUMNS}
    defaults = {"scores": {"raw"}, "average": {"all"}}
    for name in ("scores", "average", "cols"):
        initial = display.initial[name]
        chosen = set(initial) if isinstance(initial, list) else {initial}
        choices = [
            (v, label, str(v) in chosen, optional.get(v, True) if name == "cols" else str(v) in defaults[name])
            for v, label in display.fields[name].choices  # type: ignore[attr-defined]  # a ChoiceField's
        ]
        groups[name] = _inputs("checkbox" if name == "cols" else "radio", name, choices)
    groups["toggles"] = mark_safe(
        "\n    ".join(
            f'<label><input type="checkbox" name="{name}" id="id_{name}"{" checked" if data.get(name) else ""}> '
            f"{html.escape(str(filters.form.fields[name].label))}</label>"
            for name in ("show_flagged", "hide_merged", "hide_moe", "hide_private", "could_be_first")
        )
    )
    return groups


def _inputs(kind: str, name: str, choices: list[tuple]) -> str:
    """Each choice's label and input."""
    return mark_safe(
        "".join(
            f'<label><input type="{kind}" name="{name}" value="{_escaped(value)}"{" checked" if on else ""}'
            f"{' data-default' if default else ''}> {_escaped(label)}</label>"
            for value, label, on, default in choices
        )
    )


@lru_cache(maxsize=1024)
def _escaped(text) -> str:
    """A choice's value or label, escaped once per process (the standard library's escape: Django's wraps every
    call for lazy strings)."""
    return html.escape(str(text))


def _heading(state: RankingState, suite) -> str:
    """The suites' tabs, the suite's name and description: rendered once per version of the ranking."""
    tabs = render_to_string("rankings/_suite_tabs.html", {"tabs": state.tabs(), "suite": suite})
    return f'{tabs}\n<h1>{_e(suite.name)}</h1>\n<p class="lead">{_e(suite.description)}</p>\n'


def body_html(state: RankingState, ranked: Ranking, query, path: str, subjects: list[str], results: str) -> str:
    """The page's body: the tabs and heading, the filter form as ``query`` (the cleaned request.GET) fills it, and
    ``results`` (results_html) below it. ``subjects``: the subject picker's choices (none: no picker)."""
    suite, options = ranked.suite, ranked.options
    groups = checkbox_groups(ranked.filters, ranked.display, query)
    path = _e(path)
    licenses = (
        f'<fieldset class="licenses"><legend>License</legend><div>{groups["license"]}</div></fieldset>'
        if groups["license"]
        else ""
    )
    picker = (
        '<fieldset class="subject"><legend>Subject</legend><div><label>Rank by the score on one subject '
        '<select name="subject"><option value="">none: rank by the average</option>'
        + "".join(f"<option{' selected' if name == options.subject else ''}>{_e(name)}</option>" for name in subjects)
        + "</select></label></div></fieldset>"
        if subjects
        else ""
    )
    heading = per_version(f"{state.cache_key}:heading", lambda: _heading(state, suite))
    return mark_safe(
        f'{heading}<form method="get" id="ranking-filters" class="filters" action="{path}" hx-get="{path}" '
        'hx-target="#ranking-results" hx-swap="outerHTML" hx-push-url="true" hx-sync="this:replace" '
        'hx-trigger="change, submit, input changed delay:400ms from:find input[type=search]">\n'
        '  <div class="searchbar">\n'
        '    <label for="id_search" class="visually-hidden">Search</label>\n'
        f'    <input type="search" name="search" id="id_search" value="{_e(query.get("search", ""))}" '
        'placeholder="model or organisation; separate terms with ;">\n'
        '    <button type="submit">Apply</button>\n'
        f'    <a href="{path}">Reset</a>\n'
        "  </div>\n"
        '  <div class="toggles">\n'
        f"    {groups['toggles']}\n"
        "  </div>\n"
        f'  <details class="panel"{" open" if query else ""}>\n'
        "    <summary>Filters</summary>\n"
        '    <div class="filter-groups">\n'
        f"      <fieldset><legend>Model type</legend><div>{groups['type']}</div></fieldset>\n"
        f"      <fieldset><legend>Precision</legend><div>{groups['precision']}</div></fieldset>\n"
        f"      <fieldset><legend>Size (billions of parameters)</legend><div>{groups['size']}</div>\n"
        '        <div class="range"><label>from <input type="number" name="params_min" id="id_params_min" step="any" '
        f'min="0" value="{_e(query.get("params_min", ""))}"></label> <label>to <input type="number" name="params_max" '
        f'id="id_params_max" step="any" min="0" value="{_e(query.get("params_max", ""))}"></label></div>\n'
        "      </fieldset>\n"
        f"      {licenses}\n"
        "    </div>\n"
        "  </details>\n"
        '  <details class="panel">\n'
        "    <summary>Scores, average and columns</summary>\n"
        '    <div class="filter-groups">\n'
        f"      <fieldset><legend>Scores</legend><div>{groups['scores']}</div>\n"
        '        <p class="muted">Normalised: max(0, (raw − 1/k) / (1 − 1/k)) for k answer choices, so guessing scores '
        "0.</p></fieldset>\n"
        f"      <fieldset><legend>Average over</legend><div>{groups['average']}</div></fieldset>\n"
        f"      {picker}\n"
        f'      <fieldset class="columns"><legend>Columns</legend><div>{groups["cols"]}</div></fieldset>\n'
        "    </div>\n"
        "  </details>\n"
        "</form>\n\n"
        f"{results}\n"
    )
