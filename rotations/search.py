"""Full-text search over the catalog, tolerant of typos.

The database keeps each rotation's weighted `search_vector` (title A; specialty, organization,
city, state B; description C) and a dictionary of the catalog's words (migration 0002). A query
is corrected word by word against that dictionary with trigram similarity, then matched with the
English configuration (stemmed, accents folded). Correcting a few words against a few thousand
dictionary entries costs well under a millisecond, where a trigram match over 100,000 titles
costs ~110 ms.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQueryField, SearchRank
from django.db import connection, connections
from django.db.models import BooleanField, F, Func, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

SEARCH_CONFIG = "amo_english"


def search_query(text: str) -> RawSQL:
    """The tsquery of `text` with each word spelled as the catalog spells it.

    A scalar subquery, so PostgreSQL computes it once per statement (an InitPlan) whatever plan
    it picks, never once per row.
    """
    return RawSQL(
        f"(SELECT plainto_tsquery('{SEARCH_CONFIG}', rotations_spell_correct(%s)))",
        [text],
        output_field=SearchQueryField(),
    )


def search_matches(query: RawSQL) -> Func:
    return Func(
        F("search_vector"),
        query,
        arg_joiner=" @@ ",
        template="(%(expressions)s)",
        output_field=BooleanField(),
    )


def search_rank(query: RawSQL) -> SearchRank:
    return SearchRank(F("search_vector"), query)


def spell_correct(text: str) -> str:
    """The query as it will be searched (for tests and for showing what was searched)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rotations_spell_correct(%s)", [text])
        return cursor.fetchone()[0]


def search_count(rows: QuerySet, *, text: str) -> tuple[int, str]:
    """How many rows a search for `text` found, and the words searched for when correcting typos
    changed them ("" when it did not).

    One query: the correction rides on the count the page needs anyway rather than costing a query
    of its own. Case, accents and punctuation, which the search ignores, are not changes.
    """
    sql, params = rows.order_by().values("pk").query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(
            "SELECT count(*), rotations_spell_correct(%s),"
            " trim(regexp_replace(lower(unaccent(%s)), '[^[:alnum:]]+', ' ', 'g'))"
            f" FROM ({sql}) AS matches",
            [text, text, *params],
        )
        count, searched, typed = cursor.fetchone()
    return count, searched if searched != typed else ""


def search_dictionary_refresh() -> None:
    """Rebuild the dictionary of catalog words from the published rotations (idempotent).

    Run after bulk changes (seeding) and periodically (rotations.tasks.catalog_refresh); a word
    missing from it only means that word is not corrected, never that a rotation is not found.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT rotations_search_word_refresh()")


def next_start_dates_refresh() -> int:
    """Move each rotation's next_start_date past blocks whose last day to apply has passed.

    The database keeps it right when blocks change; only the passing of days needs this daily
    sweep, computed for Django's today (the day `bookable_blocks()` uses). Returns the rotations
    updated.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT rotations_next_start_date_refresh(%s)", [timezone.localdate()])
        return cursor.fetchone()[0]
