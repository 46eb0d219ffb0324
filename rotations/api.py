"""The catalog API: the same filters and search as the page, one definition (rotations.filters)."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from hosts.track_records import organization_track_record, rotation_track_record
from rotations.cache import catalog_cache_on, catalog_cached
from rotations.filters import MAX_PAGE_SIZE, PAGE_SIZE, RotationFilter
from rotations.models import Rotation
from rotations.selectors import CatalogPaginator, organization_public_detail, rotation_detail, specialty_list
from rotations.serializers import (
    OrganizationSerializer,
    RotationDetailSerializer,
    RotationListSerializer,
    SpecialtySerializer,
)

# Parameters DRF itself reads (the format suffix) besides the catalog's own.
FRAMEWORK_PARAMETERS = {"format"}


class CatalogFilterBackend(DjangoFilterBackend):
    """django-filter's backend that also refuses parameters it does not know (400 naming them)."""

    def filter_queryset(self, request, queryset, view):
        known = view.filterset_class.parameters() | FRAMEWORK_PARAMETERS
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise ValidationError({name: ["Unknown parameter."] for name in unknown})
        return super().filter_queryset(request, queryset, view)


class CatalogPagination(PageNumberPagination):
    django_paginator_class = CatalogPaginator
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        paginator = self.page.paginator
        corrected = "" if paginator.search_ignored else paginator.corrected_query or None
        return Response(
            {
                "count": response.data.pop("count"),
                "count_is_exact": paginator.count_is_exact,
                "corrected_query": corrected,
                **response.data,
            }
        )

    def get_schema_operation_parameters(self, view):
        # The bounds the catalog's form checks (rotations.filters), said where clients read them.
        parameters = super().get_schema_operation_parameters(view)
        bounds = {"page": {"minimum": 1}, "page_size": {"minimum": 1, "maximum": MAX_PAGE_SIZE}}
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters

    def get_paginated_response_schema(self, schema):
        described = super().get_paginated_response_schema(schema)
        properties = described["properties"]
        corrected = {
            "type": "string",
            "nullable": True,
            "example": "cardiology chicago",
            "description": "The words searched for when typos in `q` were corrected (e.g. `cardiolgy "
            "chicgo`); an empty string when `q` held only words too common to search (`the`, `of and`): "
            "nothing was searched and the list is every rotation the other filters keep; null when `q` "
            "was searched as typed.",
        }
        exact = {
            "type": "boolean",
            "example": True,
            "description": "False when more rotations match than were counted: `count` is then how many "
            "are known to exist (at least 1,000) and the list pages on by `next` and `previous`.",
        }
        described["properties"] = {
            "count": properties.pop("count"),
            "count_is_exact": exact,
            "corrected_query": corrected,
            **properties,
        }
        return described


class RotationListApi(generics.ListAPIView):
    """Published rotations: full-text search (`q`, typo tolerant), filters and sort, paginated."""

    permission_classes = [AllowAny]
    serializer_class = RotationListSerializer
    pagination_class = CatalogPagination
    filter_backends = [CatalogFilterBackend]
    filterset_class = RotationFilter
    # The filterset builds the catalog query through rotations.selectors.rotation_catalog.
    queryset = Rotation.objects.none()

    def list(self, request, *args, **kwargs):
        """An anonymous visitor's list comes from the catalog cache (rotations.cache), looked up before
        the query is validated (an invalid one raises, 400, and is not kept); its links to the next
        and previous pages name this host and format, so they are part of the key."""
        query = None
        if catalog_cache_on(request):
            query = RotationFilter.cache_query(request.query_params, also=FRAMEWORK_PARAMETERS)
        if query is None:
            return super().list(request, *args, **kwargs)
        query["origin"] = f"{request.scheme}://{request.get_host()}"
        return Response(catalog_cached("api", query, lambda: super(RotationListApi, self).list(request).data))


class RotationDetailApi(generics.RetrieveAPIView):
    """A published rotation with its blocks not yet started, each block's refund schedule, and its
    track record."""

    permission_classes = [AllowAny]
    serializer_class = RotationDetailSerializer

    def get_object(self):
        rotation = rotation_detail(rotation_id=self.kwargs["pk"])
        rotation.track_record = rotation_track_record(rotation)
        return rotation


class SpecialtyListApi(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = SpecialtySerializer
    pagination_class = None

    def get_queryset(self):
        return specialty_list()


class OrganizationDetailApi(generics.RetrieveAPIView):
    """A host organization, its published rotations and its track record."""

    permission_classes = [AllowAny]
    serializer_class = OrganizationSerializer

    def get_object(self):
        organization = organization_public_detail(slug=self.kwargs["slug"])
        organization.track_record = organization_track_record(organization)
        return organization
