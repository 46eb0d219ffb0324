"""Full-text search over the catalog: the words people type, typos, synonyms and stop words.

The database keeps each rotation's weighted `search_vector` (title A; specialty, organization,
city, state by code and by name B; description C; "letter of recommendation" D when the rotation
offers one), a dictionary of the catalog's words (migrations 0002, 0006) and the synonyms staff
edit in the admin (`SearchSynonym`). `rotations_search_parse()` reads a query (`search_parse`, in a
statement of its own, before the search): each word that is not a known word is corrected into a
catalog word one or two edits away (trigram similarity, as the PostgreSQL docs suggest for pg_trgm:
correcting a few words against a few thousand dictionary entries costs well under a millisecond,
where a trigram match over 100,000 titles costs ~110 ms); a synonym term (longest first) then also
searches for its alternatives, each as a phrase; every word or term must match, in the English
configuration (stemmed, accents folded). A query of stop words alone ("the") searches nothing:
`rotation_catalog` then lists the catalog unsearched and says so.
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


@dataclass(frozen=True)
class ParsedSearch:
    """What a search for some words searches: `query`, a tsquery as text (words corrected, synonyms
    expanded, stop words dropped); the words searched when correcting typos changed the words typed
    (`corrected`, else ""); and whether the words were stop words alone (`ignored`: nothing is
    searched, the catalog is listed unsearched and says so)."""

    query: str
    corrected: str = ""
    ignored: bool = False


def search_parse(text: str) -> ParsedSearch:
    """Parse `text` in a statement of its own, before the search: the search's statements then carry
    the tsquery as a literal, which PostgreSQL's statistics of the catalog's words size up, so a word
    in a quarter of the catalog is read by a scan that stops after enough matches and a rare one by
    the GIN index (a query computed inside the statement looks like 0.5% of the rows, whatever it is).
    Case, accents and punctuation, which the search ignores, are not corrections."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT query::text, typed, searched, numnode(query) = 0 FROM rotations_search_parse(%s)", [text]
        )
        query, typed, searched, ignored = cursor.fetchone()
    return ParsedSearch(query, corrected="" if ignored or searched == typed else searched, ignored=ignored)


def search_query(parsed: ParsedSearch) -> RawSQL:
    return RawSQL("%s::tsquery", [parsed.query], output_field=SearchQueryField())


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
    right plan for a word in a sizeable share of the catalog, which the paginator's capped count
    tells from a rare one (the planner's estimate of a query that expands to synonyms and phrases
    is rough).
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
class CandidateOrder:
    """An ORDER BY over a count's candidate rows, which hold `pk` and the `columns` it sorts by (and
    `rank` in a best-match search): only those, so that a covering index answers the count alone.

    A best-match order also says the order its candidates are found in (`found`, over the same
    columns): the count reads the matches in that order, and the first of them are the ones ranked.
    """

    columns: tuple[str, ...]
    sql: str
    found: str = ""


@dataclass(frozen=True)
class PageWanted:
    """The page a catalog count also chooses, when it can: rows [start, stop) in `order`.

    The candidates are the matches the count reads (up to its limit). Once more match than that,
    they are not all the matches: only a page ranked by best match is still taken from them
    (ranking every match of a broad word would read a quarter of the catalog); any other sort then
    walks its own index (`CatalogPaginator.page`). Best match reads its candidates in the order
    `order.found` gives (soonest start: `rotation_soonest_idx` yields them, a rare word's few
    matches are sorted), ranks the first `ranked` of them and lists the rest in that order. A deeper
    page counts further (a larger `reach`) but ranks the same first candidates, whatever order the
    table's rows lie in, so pages neither repeat nor skip a rotation however far one pages.
    """

    start: int
    stop: int
    reach: int
    ranked: int
    order: CandidateOrder


@dataclass(frozen=True)
class CatalogCount:
    count: int
    # The ids of the page asked for, in order, when the count could choose them (PageWanted), else None.
    page_ids: tuple[int, ...] | None = None


def _candidates_sql(catalog: QuerySet, *, limit: int, order: CandidateOrder | None) -> tuple[str, tuple]:
    columns = ("pk", *order.columns) if order else ("pk",)
    matches = catalog.order_by().values(*columns)
    if order is None or not order.found:
        return matches[:limit].query.sql_with_params()
    sql, params = matches.query.sql_with_params()
    return f"SELECT * FROM ({sql}) AS matched ORDER BY {order.found} LIMIT %s", (*params, limit)


def _count_and_page_sql(
    candidates: str, page: PageWanted | None, *, order: CandidateOrder | None
) -> tuple[str, str, list]:
    """The count of the materialized `candidates` and the array of the page's ids chosen from them
    (NULL when they are not all the matches and the page is not ranked)."""
    count = f"(SELECT count(*) FROM {candidates})"
    if page is None or order is None:
        return count, "NULL::bigint[]", []
    if order.found:
        ids = (
            f"ARRAY(SELECT pk FROM (SELECT *, row_number() OVER (ORDER BY {order.found}) AS found"
            f" FROM {candidates} LIMIT %s) AS candidates"
            f" ORDER BY CASE WHEN found <= %s THEN 0 ELSE found END, {order.sql} LIMIT %s OFFSET %s)"
        )
        return count, ids, [page.reach, page.ranked, page.stop - page.start, page.start]
    ids = (
        f"CASE WHEN {count} <= %s THEN ARRAY(SELECT pk FROM {candidates} AS candidates"
        f" ORDER BY {order.sql} LIMIT %s OFFSET %s) END"
    )
    return count, ids, [page.reach, page.stop - page.start, page.start]


def catalog_count(catalog: QuerySet, *, limit: int, page: PageWanted | None = None) -> CatalogCount:
    """How many rows a catalog holds, up to `limit`, and the page's ids (`PageWanted`): one statement.

    The matches are read once, into a materialized CTE, and both counted and sorted from it: a
    filtered or searched catalog reads its rows (a GIN index's matches, or thousands of table
    pages) once rather than once to count and again to list. A catalog ranked by best match has
    its candidates ranked there.
    """
    order = page and page.order
    candidates_sql, params = _candidates_sql(catalog, limit=limit, order=order)
    count, ids, ids_params = _count_and_page_sql("matches", page, order=order)
    with connections[catalog.db].cursor() as cursor:
        cursor.execute(
            f"WITH matches AS MATERIALIZED ({candidates_sql}) SELECT {count}, {ids}", [*params, *ids_params]
        )
        found, page_ids = cursor.fetchone()
    return CatalogCount(found, page_ids=None if page_ids is None else tuple(page_ids))


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
