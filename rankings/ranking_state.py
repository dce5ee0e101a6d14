"""What a ranking page asks first, in one query: which suite, and the key of everything computed once per change of
its ranking or of the suites' definitions (cached pages, rendered rows, the suite and its tasks, the tabs)."""

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import Http404
from django.urls import reverse

from catalogue.models import Suite, SuiteTask
from rankings.models import LeaderboardEntry, RankingVersion


class Recent:
    """What this process computed last, by key: the most recently used ``size`` values kept, as they are (a cache
    would pickle them, which for a suite and its tasks costs more than reading them)."""

    def __init__(self, size: int):
        self.size = size
        self.values: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key):
        found = self.values.pop(key, None)  # taken out and put back last: safe under runserver's threads
        if found is not None:
            self.values[key] = found
        return found

    def put(self, key, value):
        self.values[key] = value
        while len(self.values) > self.size:
            try:
                self.values.popitem(last=False)
            except KeyError:
                break
        return value


VERSIONED = Recent(1000)


def per_version(key: str, compute):
    """``compute()``, kept in this process under ``key``, which names a ranking's version (see RankingState):
    computed once per change of the ranking, whether or not pages are cached. Shared: read it, never change it."""
    found = VERSIONED.get(key)
    return VERSIONED.put(key, compute()) if found is None else found


@dataclass(frozen=True)
class RankingState:
    slug: str
    name: str
    cache_key: str
    pk: int

    def tabs(self) -> list[tuple[Suite, str]]:
        """suite_tabs, read once per key."""
        return per_version(f"{self.cache_key}:tabs", suite_tabs)


def suite_tabs() -> list[tuple[Suite, str]]:
    """Every suite, in order, with its ranking's address: the tabs above a ranking and its plots."""
    return [(suite, reverse("leaderboard", args=[suite.slug])) for suite in Suite.objects.all()]


# The suites' definitions as the ranking pages show them: every suite's tab, the named suite and its tasks. Part of
# the key, so loading suites (which does not change a ranking's version) is seen at once by every cached part.
DEFINITION = (
    f"(SELECT md5(string_agg(x, ';')) FROM (SELECT s::text x UNION ALL (SELECT t::text FROM {SuiteTask._meta.db_table} t "
    f"WHERE t.suite_id = s.id ORDER BY t.id) UNION ALL (SELECT concat_ws(',', a.id, a.slug, a.name, a.position) "
    f"FROM {Suite._meta.db_table} a ORDER BY a.id)) d)"
)


def ranking_state(slug: str | None) -> RankingState:
    """In one query: the suite a ranking URL names (without one: the default suite where it ranks a model, else
    the first suite that does, else the default suite, else the first) and the key under which
    its rendered pages are cached, which changes with the suite's RankingVersion and with the suites' definitions.
    Every cached page asks this first: written in SQL, as the ORM takes five times longer to build the query than
    Postgres to answer it."""
    select = (
        f"SELECT s.id, s.slug, s.name, v.version, v.changed_at, {DEFINITION} FROM {Suite._meta.db_table} s "
        f"LEFT JOIN {RankingVersion._meta.db_table} v ON v.suite_id = s.id "
    )
    with connection.cursor() as cursor:
        if slug is not None:
            cursor.execute(select + "WHERE s.slug = %s", [slug])
        else:  # the home page: the default suite where it ranks a model, else the first suite that does
            cursor.execute(
                select + f"ORDER BY EXISTS (SELECT 1 FROM {LeaderboardEntry._meta.db_table} e WHERE e.suite_id = s.id)"
                " DESC, s.slug = %s DESC, s.position, s.id LIMIT 1",
                [settings.DEFAULT_SUITE],
            )
        found = cursor.fetchone()
    if found is None:
        if slug is None:
            raise Http404("No benchmark suite is loaded yet: run `python manage.py load_suites`.")
        raise Http404(f"No suite {slug}.")
    pk, slug, name, version, changed_at, definition = found
    stamp = f"{version}:{changed_at.timestamp()}" if version else "0"
    return RankingState(slug, name, f"ranking:{pk}:{stamp}:{definition[:16]}", pk)
