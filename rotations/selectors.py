"""Reads of the catalog: the public list with its filters and sorts, a rotation, specialties.

Each selector does its select_related / prefetch_related once, so a page costs the same few
queries for 20 rows or 100: the count, the page, the page's blocks.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace
from datetime import date, timedelta
from functools import partial
from math import ceil

from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import cached_property

from hosts.models import Organization, Preceptor, verification_summary
from rotations.models import (
    Block,
    FirstDayInformation,
    Rotation,
    RotationQuerySet,
    Specialty,
    unreleased_holds_count,
)
from rotations.search import (
    CandidateOrder,
    CatalogCount,
    PageWanted,
    catalog_count,
    search_matches,
    search_matches_unindexed,
    search_parse,
    search_query,
    search_rank,
)


class Sort:
    RELEVANCE = "relevance"
    SOONEST = "soonest"
    PRICE = "price"
    NEWEST = "newest"

    choices = [
        (RELEVANCE, "Best match"),
        (SOONEST, "Soonest start"),
        (PRICE, "Lowest price"),
        (NEWEST, "Newest"),
    ]


# Every order ends on the id so that pages never overlap or skip rows with equal keys.
ORDERINGS = {
    Sort.SOONEST: [F("next_start_date").asc(nulls_last=True), "id"],
    Sort.PRICE: ["total_price_cents", "id"],
    Sort.NEWEST: [F("published_at").desc(nulls_last=True), "-id"],
}
# The same orders over a count's candidate rows (rotations.search.PageWanted), which hold the
# columns they sort by under these names; tests/rotations/test_catalog_count.py checks that both
# list the same rows.
_SOONEST_OVER_CANDIDATES = CandidateOrder(("next_start_date",), "next_start_date ASC NULLS LAST, pk ASC")
ORDERINGS_OVER_CANDIDATES = {
    Sort.SOONEST: _SOONEST_OVER_CANDIDATES,
    Sort.PRICE: CandidateOrder(("total_price_cents",), "total_price_cents ASC, pk ASC"),
    Sort.NEWEST: CandidateOrder(("published_at",), "published_at DESC NULLS LAST, pk DESC"),
    # Best match ranks the candidates that start soonest (rotations.search.PageWanted).
    Sort.RELEVANCE: CandidateOrder(
        ("rank", "next_start_date"),
        "rank DESC, next_start_date ASC NULLS LAST, pk ASC",
        found=_SOONEST_OVER_CANDIDATES.sql,
    ),
}


def _today() -> date:
    return timezone.localdate()


def bookable_blocks() -> QuerySet[Block]:
    """Blocks an applicant can still apply to: the last day to apply has not passed."""
    return Block.objects.filter(apply_by__gte=_today()).order_by("start_date", "id")


def rotation_catalog(
    *,
    q: str = "",
    specialty: str = "",
    state: str = "",
    city: str = "",
    rotation_type: str = "",
    setting: str = "",
    start_month: date | None = None,
    start_from: date | None = None,
    start_to: date | None = None,
    weeks: int | None = None,
    max_price: int | None = None,
    lor: bool | None = None,
    visa: str = "",
    open_seats: bool | None = None,
    sort: str = "",
) -> RotationQuerySet:
    """The published catalog, filtered and sorted; `CatalogPaginator` reads a page of it.

    Block conditions (start window, weeks, open seats) hold on one same block: "a 4-week block
    starting in March with a seat left", not three different blocks. `max_price` is whole dollars
    of application fee plus program fee. A visa filter keeps rotations that accept that visa or
    list none (any visa). Sort defaults to best match when searching, else soonest start. When `q`
    holds stop words alone, the catalog is returned unsearched (with its filters), its `search`
    saying so (`ParsedSearch.ignored`), which the page and the API tell the visitor.
    """
    rotations = Rotation.objects.published()
    if specialty:
        rotations = rotations.filter(specialty__slug=specialty)
    if state:
        rotations = rotations.filter(organization__state=state)
    if city:
        rotations = rotations.filter(organization__city__iexact=city)
    if rotation_type:
        rotations = rotations.filter(rotation_type=rotation_type)
    if setting:
        rotations = rotations.filter(setting=setting)
    if max_price is not None:
        rotations = rotations.filter(total_price_cents__lte=max_price * 100)
    if lor is not None:
        rotations = rotations.filter(offers_lor=lor)
    if visa:
        rotations = rotations.filter(Q(accepted_visa_types__contains=[visa]) | Q(accepted_visa_types=[]))

    blocks = Block.objects.filter(rotation=OuterRef("pk"), apply_by__gte=_today())
    block_filtered = False
    if start_month is not None:
        month_end = (start_month.replace(day=28) + timedelta(days=4)).replace(day=1)
        blocks = blocks.filter(start_date__gte=start_month, start_date__lt=month_end)
        block_filtered = True
    if start_from is not None:
        blocks = blocks.filter(start_date__gte=start_from)
        block_filtered = True
    if start_to is not None:
        blocks = blocks.filter(start_date__lte=start_to)
        block_filtered = True
    if weeks is not None:
        blocks = blocks.filter(weeks=weeks)
        block_filtered = True
    if open_seats:
        # The rotation's own summary answers alone and, with other block conditions, narrows the
        # rotations whose blocks must be searched for one that meets them all.
        rotations = rotations.filter(open_seats_until__gte=_today())
        blocks = blocks.filter(seats_taken__lt=F("capacity"))
    if block_filtered:
        rotations = rotations.filter(Exists(blocks))

    sort = sort or (Sort.RELEVANCE if q else Sort.SOONEST)
    # Relevance has no order of its own without a search (nor in a search of stop words alone).
    listed_sort = sort if sort in ORDERINGS else Sort.SOONEST
    ordering = ORDERINGS[listed_sort]
    unsearched = rotations.order_by(*ordering)
    unsearched.catalog_sort = listed_sort
    if not q:
        return unsearched
    parsed = search_parse(q)
    if parsed.ignored:  # stop words alone: the catalog unsearched, saying so
        unsearched.search = parsed
        return unsearched
    query = search_query(parsed)
    searched = rotations.filter(search_matches(query))
    if sort == Sort.RELEVANCE:
        searched = searched.annotate(rank=search_rank(query)).order_by("-rank", *ordering)
    else:
        searched = searched.order_by(*ordering)
    searched.search, searched.catalog_sort = parsed, sort
    if sort != Sort.RELEVANCE:
        searched.broad = partial(_broad_search, rotations, query, ordering=ordering)
    return searched


def _broad_search(rotations: RotationQuerySet, query: RawSQL, *, ordering: list) -> RotationQuerySet:
    """A search that matches more rows than the paginator counts, sorted by a column: it walks that
    sort's index and checks each row's words, stopping after a page, a few rows read instead of
    every match. (A best-match page of such a search ranks the candidates the count read:
    `CatalogPaginator`.)
    """
    return rotations.filter(search_matches_unindexed(query)).order_by(*ordering)


# What a catalog row shows (the page's card, rotations.serializers.RotationListSerializer): a page
# reads these columns alone, not a rotation's policies, preceptor or search vector.
CATALOG_ROW_FIELDS = (
    *("id", "slug", "title", "description", "rotation_type", "setting", "offers_lor", "booking_mode"),
    *("currency", "application_fee_cents", "program_fee_cents", "total_price_cents", "deposit_cents"),
    *("accepted_visa_types", "next_start_date"),
    *("specialty", "specialty__name", "specialty__slug"),
    *("organization", "organization__slug", "organization__name", "organization__kind"),
    *("organization__city", "organization__state", "organization__is_verified"),
)


def _catalog_rows(rotations: QuerySet[Rotation]) -> QuerySet[Rotation]:
    return (
        rotations.select_related("organization", "specialty")
        .only(*CATALOG_ROW_FIELDS)
        .annotate(host_verification=verification_summary())
        .prefetch_related(Prefetch("blocks", queryset=bookable_blocks(), to_attr="bookable_blocks"))
    )


def _with_host_verification(rotations) -> list[Rotation]:
    """The rows, each one's organization given its standing verification (`Organization.verification`,
    the "Verified host" badge), which the row's own query read (`verification_summary`)."""
    rows = list(rotations)
    for rotation in rows:
        rotation.organization.verification = rotation.host_verification
    return rows


def rotation_catalog_rows(
    catalog: QuerySet[Rotation], *, start: int, stop: int, ids_from: QuerySet[Rotation] | None = None
) -> QuerySet[Rotation]:
    """One page of the catalog with its host, specialty and bookable blocks.

    The page's ids are chosen on the rotations table alone (an inner query), and only those
    rows are joined: joining before the LIMIT would join every match of a broad search. `ids_from`
    chooses them instead when it lists the same rows in the same order by a cheaper plan.
    """
    page_ids = (catalog if ids_from is None else ids_from).values("pk")[start:stop]
    return _catalog_rows(catalog.filter(pk__in=Subquery(page_ids)))


def rotation_page_rows(ids: tuple[int, ...]) -> list[Rotation]:
    """The rotations of `ids`, in that order, with what `rotation_catalog_rows` reads for each."""
    rows = _with_host_verification(_catalog_rows(Rotation.objects.published().filter(pk__in=ids)))
    by_id = {rotation.pk: rotation for rotation in rows}
    # A rotation unpublished since the count read it is left out, as the next request would.
    return [by_id[pk] for pk in ids if pk in by_id]


class CatalogPaginator(Paginator):
    """Django's paginator, counting the catalog together with choosing the page's ids (one query),
    then reading that page's rows (`rotation_page_rows`, and its blocks).

    The count reads the matches once and chooses the page from them when they are all the matches,
    or when the page is ranked by best match (which ranks only the first `count_cap` candidates:
    ranking all of a broad word's matches would read a quarter of the catalog per page). Otherwise
    (past the cap, sorted by a column) the page walks its sort's index (`rotation_catalog_rows`).

    It counts exactly only up to `count_cap` rows (or to the end of the page asked for, when that
    lies further): counting every match of a broad word ("externship" is in a quarter of the
    catalog) costs more than reading the page. Beyond it `count_is_exact` is False, `count` is the
    rows known to exist ("1,000+ rotations") and the pages run one past them, so next and previous
    keep working without a last page.

    Pages start within the first `paged_rows_max` rows (`max_pages`); the catalog's form refuses a
    deeper one, and this paginator never counts past the deepest page's end.

    A search of stop words alone ("the", "of and") searches nothing: rather than finding nothing,
    it lists the catalog unsearched (with its filters) and says so (`search_ignored`).
    """

    count_cap = 1000
    # How deep a list pages: a page starts within its first 10,000 rotations, as search engines'
    # result windows do. Nobody reads further than a narrower search would show them, and a count
    # or a ranking that reached any page asked for would let one address make the server read
    # every match.
    paged_rows_max = 10_000

    @cached_property
    def max_pages(self) -> int:
        return ceil(self.paged_rows_max / self.per_page)

    @cached_property
    def _reach(self) -> int:
        """How far the count goes: fixed by the first page asked for (next and previous ask later)."""
        return max(self.count_cap, getattr(self, "_asked_stop", 0))

    @cached_property
    def _counted(self) -> CatalogCount:
        """The count, with the ids of the page asked for when the same statement can choose them."""
        # One row past the reach tells "exactly this many" from "more".
        return catalog_count(self.object_list, limit=self._reach + 1, page=self._page_wanted)

    @cached_property
    def _page_wanted(self) -> PageWanted | None:
        """The page the count chooses: the one first asked for (fixed, as `_reach` is, by then)."""
        order = ORDERINGS_OVER_CANDIDATES.get(self.object_list.catalog_sort)
        if order is None:
            return None
        stop = getattr(self, "_asked_stop", self.per_page)
        return PageWanted(
            start=max(stop - self.per_page, 0),
            stop=stop,
            reach=self._reach,
            ranked=self.count_cap,
            order=order,
        )

    @property
    def count(self) -> int:
        """The rotations found: all of them, or at least this many when `count_is_exact` is False."""
        return min(self._counted.count, self._reach)

    @property
    def count_is_exact(self) -> bool:
        return self._counted.count <= self._reach

    @cached_property
    def num_pages(self) -> int:
        if self.count_is_exact:
            return super().num_pages
        return min(ceil(self.count / self.per_page) + 1, self.max_pages)

    @property
    def corrected_query(self) -> str:
        """The words searched for when correcting typos changed the words typed, else ""."""
        search = self.object_list.search
        return search.corrected if search else ""

    @property
    def search_ignored(self) -> bool:
        """The words typed were stop words alone, so the catalog is listed unsearched."""
        search = self.object_list.search
        return bool(search and search.ignored)

    def validate_number(self, number):
        # Before anything is counted: a page past the cap is counted up to its own end.
        if "_reach" not in self.__dict__:
            with suppress(TypeError, ValueError):  # Django's check below says what is wrong with it
                self._asked_stop = min(int(number), self.max_pages) * self.per_page
        return super().validate_number(number)

    def page(self, number):
        number = self.validate_number(number)
        start = (number - 1) * self.per_page
        stop = min(start + self.per_page, self.count)
        wanted, chosen = self._page_wanted, self._counted.page_ids
        if wanted is not None and wanted.start != start:
            # Django fell back to the last page, the one asked for lying past the end: it is chosen
            # the same way, so that a best-match page ranks the same candidates as the pages before.
            wanted = replace(wanted, start=start, stop=start + self.per_page)
            chosen = catalog_count(self.object_list, limit=self._reach + 1, page=wanted).page_ids
        if chosen is not None:
            return self._get_page(rotation_page_rows(chosen), number, self)
        catalog, ids_from = self.object_list, None
        if catalog.broad is not None and not self.count_is_exact:
            ids_from = catalog.broad()
        rows = rotation_catalog_rows(catalog, start=start, stop=stop, ids_from=ids_from)
        return self._get_page(_with_host_verification(rows), number, self)


def rotation_detail(*, slug: str | None = None, rotation_id: int | None = None) -> Rotation:
    """A published rotation, by slug or id, with its host (and its standing verification),
    preceptor and blocks not yet started.

    404 for anything unpublished.
    """
    upcoming = Block.objects.filter(start_date__gte=_today()).order_by("start_date", "id")
    rotations = (
        Rotation.objects.published()
        .select_related("organization", "specialty", "preceptor")
        .defer("search_vector")
        .annotate(host_verification=verification_summary())
        .prefetch_related(Prefetch("blocks", queryset=upcoming, to_attr="upcoming_blocks"))
    )
    lookup = {"slug": slug} if slug is not None else {"pk": rotation_id}
    [rotation] = _with_host_verification([get_object_or_404(rotations, **lookup)])
    return rotation


def first_day_of(rotation: Rotation) -> FirstDayInformation | None:
    """The rotation's first-day information, or None before its host wrote any: no query when the
    rotation was read with select_related("first_day")."""
    return getattr(rotation, "first_day", None)


def specialty_list() -> QuerySet[Specialty]:
    return Specialty.objects.order_by("name")


def specialty_choices() -> list[tuple[str, str]]:
    return list(specialty_list().values_list("slug", "name"))


def _published_titled() -> RotationQuerySet:
    return (
        Rotation.objects.published()
        .select_related("specialty", "preceptor")
        .defer("search_vector")
        .order_by("title", "id")
    )


def organization_public_detail(*, slug: str) -> Organization:
    """A host organization as the public sees it, with its standing verification and its published
    rotations and their preceptors."""
    organizations = Organization.objects.annotate(verification=verification_summary("pk")).prefetch_related(
        Prefetch("rotations", queryset=_published_titled(), to_attr="published_rotations")
    )
    return get_object_or_404(organizations, slug=slug)


def preceptor_public_detail(*, organization_slug: str, pk: int) -> Preceptor:
    """A preceptor as the public sees them, with their organization and the published rotations they
    supervise; 404 for one who supervises none (nothing of theirs is public)."""
    published = _published_titled()
    preceptors = (
        Preceptor.objects.filter(organization__slug=organization_slug)
        .filter(Exists(published.filter(preceptor=OuterRef("pk"))))
        .select_related("organization", "specialty")
        .prefetch_related(Prefetch("rotations", queryset=published, to_attr="published_rotations"))
    )
    return get_object_or_404(preceptors, pk=pk)


def blocks_out_of_step() -> list[tuple[int, int, int]]:
    """Blocks whose seats_taken differs from their unreleased seat holds: (block id, cached, held).

    Empty whenever every seat change went through rotations.services; the daily check logs any.
    """
    return list(
        Block.objects.annotate(held=unreleased_holds_count())
        .exclude(seats_taken=F("held"))
        .order_by("pk")
        .values_list("pk", "seats_taken", "held")
    )
