"""Full-text search over the catalog: the words people type, typos, synonyms and stop words.

The database keeps each rotation's weighted `search_vector` (title A; specialty, organization,
city, state by code and by name B; description C; "letter of recommendation" D when the rotation
offers one), a dictionary of the catalog's words (migrations 0002, 0006) and the synonyms staff
edit in the admin (`SearchSynonym`). `rotations_search_parse()` reads a query in the statement
that searches with it: each word that is not a known word is corrected into a catalog word one or
two edits away (trigram similarity, as the PostgreSQL docs suggest for pg_trgm: correcting a few
words against a few thousand dictionary entries costs well under a millisecond, where a trigram
match over 100,000 titles costs ~110 ms); a synonym term (longest first) then also searches for
its alternatives, each as a phrase; every word or term must match, in the English configuration
(stemmed, accents folded). A query of stop words alone ("the") searches nothing: the catalog's
paginator then lists the catalog unsearched and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.postgres.search import SearchQueryField, SearchRank
from django.db import connection, connections
from django.db.models import BooleanField, F, Func, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from rotations.cache import catalog_changed

SEARCH_CONFIG = "amo_english"


def search_query(text: str) -> RawSQL:
    """The tsquery of `text`: words corrected, synonyms expanded, stop words dropped.

    A scalar subquery, so PostgreSQL computes it once per statement (an InitPlan) whatever plan
    it picks, never once per row.
    """
    return RawSQL("(SELECT query FROM rotations_search_parse(%s))", [text], output_field=SearchQueryField())


def search_matches(query: RawSQL) -> Func:
    return Func(
        F("search_vector"),
        query,
        arg_joiner=" @@ ",
        template="(%(expressions)s)",
        output_field=BooleanField(),
    )


def search_matches_unindexed(query: RawSQL) -> Func:
    """The same match as `search_matches`, written as the function behind `@@`, which the GIN index
    cannot serve: PostgreSQL then walks a sort's index and stops at a page's worth of matches. The
    right plan for a word in a sizeable share of the catalog, which the planner cannot tell from a
    rare one (the query is computed in the statement, so it estimates ~0.5% of rows for either).
    """
    return Func(F("search_vector"), query, function="ts_match_vq", output_field=BooleanField())


def search_rank(query: RawSQL) -> SearchRank:
    return SearchRank(F("search_vector"), query)


def spell_correct(text: str) -> str:
    """The query as it will be searched (for tests and for showing what was searched)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT searched FROM rotations_search_parse(%s)", [text])
        return cursor.fetchone()[0]


class Phrase(NamedTuple):
    words: str  # as the search reads it: lowercase, no accents, punctuation a single space
    searched: bool  # False when the search skips every word of it (stop words such as "of")


def search_phrases(texts: list[str]) -> list[Phrase]:
    """Each text as the search reads it (one query for all), to store and check synonyms."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rotations_search_text(t), numnode(plainto_tsquery(%s, t)) > 0"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
            [SEARCH_CONFIG, texts],
        )
        return [Phrase(*row) for row in cursor.fetchall()]


@dataclass(frozen=True)
class SearchCount:
    count: int
    # The words searched when correcting typos changed the words typed, else "".
    corrected: str = ""
    # The query held stop words alone: nothing was searched and `count` is the unsearched catalog's.
    ignored: bool = False


def search_count(searched: QuerySet, *, unsearched: QuerySet, text: str, limit: int) -> SearchCount:
    """How many rows a search for `text` found, up to `limit`, with what correcting typos changed,
    in one query.

    The correction rides on the count the page needs anyway rather than costing a query of its
    own. When every word of `text` is a stop word the same statement counts `unsearched` instead
    (PostgreSQL runs only the branch of the CASE it takes). Case, accents and punctuation, which
    the search ignores, are not changes.
    """
    searched_sql, searched_params = searched.order_by().values("pk")[:limit].query.sql_with_params()
    unsearched_sql, unsearched_params = unsearched.order_by().values("pk")[:limit].query.sql_with_params()
    with connections[searched.db].cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN numnode(p.query) = 0"
            f" THEN (SELECT count(*) FROM ({unsearched_sql}) AS everything)"
            f" ELSE (SELECT count(*) FROM ({searched_sql}) AS matches) END,"
            " p.typed, p.searched, numnode(p.query) = 0"
            " FROM rotations_search_parse(%s) AS p",
            [*unsearched_params, *searched_params, text],
        )
        count, typed, corrected, ignored = cursor.fetchone()
    return SearchCount(count, corrected="" if ignored or corrected == typed else corrected, ignored=ignored)


def search_dictionary_refresh() -> None:
    """Rebuild the dictionary of catalog words from the published rotations (idempotent).

    Run after bulk changes (seeding) and periodically (rotations.tasks.catalog_refresh); a word
    missing from it only means that word is not corrected, never that a rotation is not found.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT rotations_search_word_refresh()")
    catalog_changed()  # corrections of typos may change


def next_start_dates_refresh() -> int:
    """Move each rotation's next_start_date past blocks whose last day to apply has passed.

    The database keeps it right when blocks change; only the passing of days needs this daily
    sweep, computed for Django's today (the day `bookable_blocks()` uses). Returns the rotations
    updated.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT rotations_next_start_date_refresh(%s)", [timezone.localdate()])
        moved = cursor.fetchone()[0]
    if moved:
        catalog_changed()
    return moved
