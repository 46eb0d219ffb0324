"""Pages of the catalog: the public list with search and filters, a rotation's page with its
reviews, and the public pages of a host organization and of a preceptor, each with its track record."""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from applicants.selectors import reviews_public
from hosts.track_records import organization_track_record, preceptor_track_record, rotation_track_record
from rotations.cache import catalog_cache_on, catalog_cached, messages_pending, public_page
from rotations.filters import PAGE_SIZE, RotationFilter
from rotations.policies import TIERS, refund_schedule
from rotations.selectors import (
    CatalogPaginator,
    organization_public_detail,
    preceptor_public_detail,
    rotation_detail,
)


def _page(request, template: str, title: str, context: dict) -> str:
    """A page whose body Jinja2 renders (amo/jinja.py says why) inside the site's layout."""
    body = render_to_string(template, context, request)
    return render_to_string("rotations/page.html", {"title": title, "page": body}, request)


@require_GET
def rotation_list(request):
    """The catalog. htmx asks for the results alone; without JavaScript the form reloads the page.

    Bad parameters show the form's errors and no results. An anonymous visitor's page (or the
    results alone) comes whole from the catalog cache (rotations.cache), looked up before the query
    is even validated, unless a message waits to be shown to the visitor, or the address carries
    parameters the catalog does not read: its pages' links repeat the address's parameters, which
    another visitor's must not carry.
    """
    partial = request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "rotations/_results.jinja" if partial else "rotations/_catalog.jinja"
    context = {}  # the form and page when read in this request (a cached catalog has none)

    def catalog(*, errors_too: bool) -> str | None:
        filterset = RotationFilter(request.GET)
        context.update(filter=filterset, form=filterset.form, page=None, partial=partial)
        if filterset.is_valid():
            cleaned = filterset.form.cleaned_data
            paginator = CatalogPaginator(filterset.qs, cleaned.get("page_size") or PAGE_SIZE)
            context["page"] = paginator.get_page(cleaned.get("page"))
        elif not errors_too:
            return None  # a page of errors is not kept
        return render_to_string(template, context, request)

    def answer(*, errors_too: bool) -> str | None:
        html = catalog(errors_too=errors_too)
        if html is None or partial:
            return html
        return render_to_string("rotations/list.html", {**context, "catalog": html}, request)

    query = RotationFilter.cache_query(request.GET) if catalog_cache_on(request) else None
    html = None
    # A whole page is not the cached one while a message waits for the visitor; the results alone
    # show no messages.
    if query is not None and (partial or not messages_pending(request)):
        html = catalog_cached("results" if partial else "page", query, lambda: answer(errors_too=False))
    if html is None:
        html = answer(errors_too=True)
    response = HttpResponse(html)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def rotation_page(request, slug: str):
    """A rotation's page, with its reviews (newest first) and its track record."""

    def page() -> str:
        rotation = rotation_detail(slug=slug)
        # Each block's refund windows with what each gives back of the program fee, in cents.
        blocks = [
            (
                block,
                [
                    (window, window.refund_cents(rotation.program_fee_cents))
                    for window in refund_schedule(TIERS[rotation.cancellation_policy], block.start_date)
                ],
            )
            for block in rotation.upcoming_blocks
        ]
        context = {
            "rotation": rotation,
            "blocks": blocks,
            "today": timezone.localdate(),
            "reviews": reviews_public(rotation_id=rotation.pk),
            "track_record": rotation_track_record(rotation),
        }
        return _page(request, "rotations/detail.jinja", rotation.title, context)

    return public_page(request, "rotation", {"slug": slug}, page)


@require_GET
def organization_page(request, slug: str):
    """A host organization's public page: who they are, their published rotations and preceptors,
    and their track record."""

    def page() -> str:
        organization = organization_public_detail(slug=slug)
        context = {
            "organization": organization,
            "preceptors": sorted(
                {rotation.preceptor for rotation in organization.published_rotations if rotation.preceptor},
                key=lambda preceptor: (preceptor.full_name, preceptor.pk),
            ),
            "track_record": organization_track_record(organization),
        }
        return _page(request, "rotations/organization.jinja", organization.name, context)

    return public_page(request, "organization", {"slug": slug}, page)


@require_GET
def preceptor_page(request, slug: str, pk: int):
    """A preceptor's public page, while they supervise a published rotation: their credentials,
    their rotations and their track record."""

    def page() -> str:
        preceptor = preceptor_public_detail(organization_slug=slug, pk=pk)
        context = {"preceptor": preceptor, "track_record": preceptor_track_record(preceptor)}
        return _page(request, "rotations/preceptor.jinja", preceptor.full_name, context)

    return public_page(request, "preceptor", {"slug": slug, "pk": pk}, page)
