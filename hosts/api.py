"""The host API under /api/v1/host/: the dashboard's powers, scoped the same way (hosts.tenancy).

The organization acted for is the session's current one, or the `X-Organization: <slug>` header
(for token clients), checked against the requester's memberships on every request. Objects of
other organizations answer 404.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from amo.api import sent_values, validated_data
from amo.errors import DomainError
from applicants.lor_workflow import ActorRole as LetterRole
from applicants.models import Application, BlockChange, LetterRequest, Review
from applicants.selectors import evaluation_of, letter_author_preceptor_ids, letters_with_receipt
from applicants.serializers import EvaluationSerializer
from applicants.services import (
    application_cancel,
    application_end_early,
    application_offer,
    application_record_no_show,
    application_reject,
    application_request_info,
    application_start_review,
    application_waitlist,
    applications_bulk,
    block_change_decide,
    evaluation_submit,
    review_answer,
)
from applicants.services.letter_requests import (
    letter_accept,
    letter_confirm_submitted,
    letter_decline,
    letter_upload,
)
from applicants.workflow import ActorRole
from hosts import selectors
from hosts.serializers import (
    HostApplicationFilterSerializer,
    HostApplicationSerializer,
    HostBlockChangeDeclineSerializer,
    HostBlockChangeFilterSerializer,
    HostBlockChangeSerializer,
    HostBlockSerializer,
    HostBulkResultSerializer,
    HostBulkSerializer,
    HostCancelSerializer,
    HostEndEarlySerializer,
    HostEvaluationSerializer,
    HostLetterConfirmSerializer,
    HostLetterDeclineSerializer,
    HostLetterFilterSerializer,
    HostLetterSerializer,
    HostLetterUploadSerializer,
    HostMessageOutSerializer,
    HostMessageSerializer,
    HostNoShowSerializer,
    HostOfferSerializer,
    HostRejectSerializer,
    HostReviewAnswerSerializer,
    HostReviewSerializer,
    HostRotationSerializer,
)
from hosts.tenancy import EVERY_ROLE, MANAGERS, ORGANIZATION_HEADER, IsOrganizationMember, Tenancy
from rotations import services as rotation_services
from rotations.models import Block, FirstDayInformation, Rotation
from rotations.selectors import first_day_of
from rotations.serializers import FirstDaySerializer

ORGANIZATION_PARAMETER = OpenApiParameter(
    ORGANIZATION_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Slug of the organization to act for (default: the session's current organization, "
    "else your first membership). Must be one of yours.",
)
READ_ACTIONS = frozenset({"list", "retrieve"})


class HostViewSet(Tenancy, viewsets.GenericViewSet):
    """Base of every host API view: membership and role checked, every queryset scoped."""

    permission_classes = [IsOrganizationMember]

    def roles_for_action(self) -> frozenset:
        return EVERY_ROLE if self.action in READ_ACTIONS else MANAGERS


def _rotation_fields(data: dict) -> dict:
    return {name: value for name, value in data.items() if name in rotation_services.ROTATION_FIELDS}


@extend_schema_view(
    list=extend_schema(parameters=[ORGANIZATION_PARAMETER]),
    retrieve=extend_schema(parameters=[ORGANIZATION_PARAMETER]),
    create=extend_schema(parameters=[ORGANIZATION_PARAMETER]),
    partial_update=extend_schema(parameters=[ORGANIZATION_PARAMETER]),
)
class RotationViewSet(
    HostViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    serializer_class = HostRotationSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        rotations = self.scoped(Rotation.objects.order_by("-created_at", "id"))
        return rotations.select_related("first_day") if self.action == "first_day" else rotations

    def roles_for_action(self) -> frozenset:
        # Every member reads a rotation's first-day information; managers change it.
        if self.action == "first_day" and self.request.method == "GET":
            return EVERY_ROLE
        return super().roles_for_action()

    def perform_create(self, serializer):
        serializer.instance = rotation_services.rotation_create(
            organization=self.organization, **_rotation_fields(serializer.validated_data)
        )

    def perform_update(self, serializer):
        serializer.instance = rotation_services.rotation_update(
            rotation=serializer.instance, **_rotation_fields(serializer.validated_data)
        )

    def _lifecycle(self, service):
        rotation = service(rotation=self.get_object())
        return Response(HostRotationSerializer(rotation, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=HostRotationSerializer, parameters=[ORGANIZATION_PARAMETER])
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """List the rotation (verified organizations only, at least one block)."""
        return self._lifecycle(rotation_services.rotation_publish)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses=FirstDaySerializer,
        parameters=[ORGANIZATION_PARAMETER],
        summary="The rotation's first-day information (empty before you write any)",
    )
    @extend_schema(
        methods=["PATCH"],
        request=FirstDaySerializer,
        responses=FirstDaySerializer,
        parameters=[ORGANIZATION_PARAMETER],
        summary="Change the rotation's first-day information; the parts left out stay as they are",
        description="Applicants with a confirmed booking on the rotation read it as it stands, from "
        "their booking; it is not one of the terms they agreed to.",
    )
    @action(detail=True, methods=["get", "patch"], url_path="first-day")
    def first_day(self, request, pk=None):
        """Arrival time, where to go, who to ask for, dress code and what to bring on the first day."""
        rotation = self.get_object()
        if request.method == "PATCH":
            data = validated_data(FirstDaySerializer(data=request.data, partial=True))
            written = rotation_services.first_day_update(rotation=rotation, **data)
            return Response(FirstDaySerializer(written).data)
        return Response(
            FirstDaySerializer(first_day_of(rotation) or FirstDayInformation(rotation=rotation)).data
        )

    @extend_schema(request=None, responses=HostRotationSerializer, parameters=[ORGANIZATION_PARAMETER])
    @action(detail=True, methods=["post"])
    def unpublish(self, request, pk=None):
        return self._lifecycle(rotation_services.rotation_unpublish)

    @extend_schema(request=None, responses=HostRotationSerializer, parameters=[ORGANIZATION_PARAMETER])
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return self._lifecycle(rotation_services.rotation_archive)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            ORGANIZATION_PARAMETER,
            OpenApiParameter("rotation", int, description="Only this rotation's."),
        ]
    ),
    retrieve=extend_schema(parameters=[ORGANIZATION_PARAMETER]),
    create=extend_schema(parameters=[ORGANIZATION_PARAMETER]),
    partial_update=extend_schema(parameters=[ORGANIZATION_PARAMETER]),
)
class BlockViewSet(
    HostViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Blocks; capacity never goes below the seats already confirmed or held."""

    serializer_class = HostBlockSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        blocks = self.scoped(Block.objects.order_by("start_date", "id"))
        rotation = self.request.query_params.get("rotation")
        if self.action == "list" and rotation:
            if not rotation.isdecimal():
                raise Http404
            blocks = blocks.filter(rotation_id=rotation)
        return blocks

    def perform_create(self, serializer):
        serializer.instance = rotation_services.block_create(**serializer.validated_data)

    def perform_update(self, serializer):
        block = serializer.instance
        data = serializer.validated_data
        if "rotation" in data and data["rotation"].pk != block.rotation_id:
            raise DomainError("A block cannot move to another rotation.", field="rotation")
        serializer.instance = rotation_services.block_update(
            block=block,
            start_date=data.get("start_date", block.start_date),
            weeks=data.get("weeks", block.weeks),
            capacity=data.get("capacity", block.capacity),
            apply_by=data.get("apply_by", block.apply_by),
        )


@extend_schema_view(
    list=extend_schema(parameters=[ORGANIZATION_PARAMETER, HostApplicationFilterSerializer]),
    retrieve=extend_schema(parameters=[ORGANIZATION_PARAMETER]),
)
class ApplicationViewSet(HostViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The review queue and its actions; each action notifies the applicant."""

    serializer_class = HostApplicationSerializer

    def roles_for_action(self) -> frozenset:
        # A preceptor member evaluates their own rotations' bookings (evaluation_submit decides who).
        if self.action == "evaluation":
            return EVERY_ROLE
        return super().roles_for_action()

    def get_queryset(self):
        applications = self.scoped(Application.objects.all())
        if self.action == "list":
            filters = HostApplicationFilterSerializer(data=sent_values(self.request.query_params))
            filters.is_valid(raise_exception=True)  # query parameters are named by their keys
            criteria = filters.validated_data
            applications = selectors.application_queue(
                applications,
                rotation_id=criteria.get("rotation"),
                block_id=criteria.get("block"),
                status=criteria.get("status"),
                submitted_from=criteria.get("submitted_from"),
                submitted_to=criteria.get("submitted_to"),
            )
            return applications.prefetch_related("documents")
        return selectors.application_for_review(applications.exclude(status=Application.Status.DRAFT))

    def _done(self, application):
        # Read again as a retrieve does, so the answer shows the new status and place in line.
        return Response(
            HostApplicationSerializer(self.get_object(), context=self.get_serializer_context()).data
        )

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        return validated_data(serializer)

    @extend_schema(request=None, responses=HostApplicationSerializer, parameters=[ORGANIZATION_PARAMETER])
    @action(detail=True, methods=["post"], url_path="start-review")
    def start_review(self, request, pk=None):
        application = self.get_object()
        application_start_review(application=application, actor=request.user)
        return self._done(application)

    @extend_schema(
        request=HostOfferSerializer, responses=HostApplicationSerializer, parameters=[ORGANIZATION_PARAMETER]
    )
    @action(detail=True, methods=["post"])
    def offer(self, request, pk=None):
        """Offer a seat: holds one seat on the block until the deadline."""
        application = self.get_object()
        data = self._input(HostOfferSerializer)
        application_offer(application=application, actor=request.user, expires_at=data.get("expires_at"))
        return self._done(application)

    @extend_schema(
        request=HostRejectSerializer, responses=HostApplicationSerializer, parameters=[ORGANIZATION_PARAMETER]
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        application = self.get_object()
        data = self._input(HostRejectSerializer)
        application_reject(application=application, actor=request.user, reason=data["reason"])
        return self._done(application)

    @extend_schema(request=None, responses=HostApplicationSerializer, parameters=[ORGANIZATION_PARAMETER])
    @action(detail=True, methods=["post"])
    def waitlist(self, request, pk=None):
        application = self.get_object()
        application_waitlist(application=application, actor=request.user)
        return self._done(application)

    @extend_schema(
        request=HostMessageSerializer,
        responses={201: HostMessageOutSerializer},
        parameters=[ORGANIZATION_PARAMETER],
    )
    @action(detail=True, methods=["post"], url_path="request-info")
    def request_info(self, request, pk=None):
        """Write on the application's thread (visible to the applicant and staff); the applicant is told."""
        application = self.get_object()
        data = self._input(HostMessageSerializer)
        posted = application_request_info(
            application=application, actor=request.user, message=data["message"]
        )
        return Response(HostMessageOutSerializer(posted).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=HostCancelSerializer, responses=HostApplicationSerializer, parameters=[ORGANIZATION_PARAMETER]
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a confirmed booking, with a reason the applicant reads; the seat goes to the waitlist."""
        application = self.get_object()
        data = self._input(HostCancelSerializer)
        application_cancel(
            application=application, actor=request.user, role=ActorRole.HOST, reason=data["reason"]
        )
        return self._done(application)

    @extend_schema(
        request=HostNoShowSerializer, responses=HostApplicationSerializer, parameters=[ORGANIZATION_PARAMETER]
    )
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        """Record that a booked applicant did not come (from the block's first day on; before: 409)."""
        application = self.get_object()
        data = self._input(HostNoShowSerializer)
        application_record_no_show(application=application, actor=request.user, reason=data["reason"])
        return self._done(application)

    @extend_schema(
        request=HostEndEarlySerializer,
        responses=HostApplicationSerializer,
        parameters=[ORGANIZATION_PARAMETER],
    )
    @action(detail=True, methods=["post"], url_path="end-early")
    def end_early(self, request, pk=None):
        """Record that a rotation under way ended before its last day, with the reason."""
        application = self.get_object()
        data = self._input(HostEndEarlySerializer)
        application_end_early(application=application, actor=request.user, reason=data["reason"])
        return self._done(application)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses=EvaluationSerializer,
        parameters=[ORGANIZATION_PARAMETER],
        summary="The evaluation of a completed booking (404 until it is submitted)",
    )
    @extend_schema(
        methods=["POST"],
        request=HostEvaluationSerializer,
        responses={201: EvaluationSerializer},
        parameters=[ORGANIZATION_PARAMETER],
        summary="Submit the evaluation of a completed booking; it issues the certificate of completion",
        description="By the member who is the rotation's preceptor, or an owner or coordinator (else 403). "
        "Only a completed booking, once: before completion or a second time, 409. Fixed once submitted; "
        "the applicant is told and reads it.",
    )
    @action(detail=True, methods=["get", "post"])
    def evaluation(self, request, pk=None):
        application = self.get_object()
        if request.method == "POST":
            serializer = HostEvaluationSerializer(data=request.data)
            validated_data(serializer)
            evaluation = evaluation_submit(
                application=application, actor=request.user, **serializer.submission()
            )
            return Response(EvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)
        evaluation = evaluation_of(application)
        if evaluation is None:
            raise Http404("This booking has no evaluation yet.")
        return Response(EvaluationSerializer(evaluation).data)

    @extend_schema(
        request=HostBulkSerializer,
        responses=HostBulkResultSerializer(many=True),
        parameters=[ORGANIZATION_PARAMETER],
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """One action on many applications; each succeeds or fails on its own. Any id not yours: 404."""
        data = self._input(HostBulkSerializer)
        ids = sorted(set(data["applications"]))
        applications = list(
            self.scoped(
                Application.objects.filter(pk__in=ids).exclude(status=Application.Status.DRAFT)
            ).select_related("block__rotation")
        )
        if len(applications) != len(ids):
            raise Http404
        arguments = {"reason": data.get("reason", "")} if data["action"] == "reject" else {}
        results = applications_bulk(
            applications=applications, actor=request.user, action=data["action"], **arguments
        )
        return Response(HostBulkResultSerializer(results, many=True).data)


@extend_schema_view(
    list=extend_schema(parameters=[ORGANIZATION_PARAMETER, HostBlockChangeFilterSerializer]),
)
class BlockChangeViewSet(HostViewSet, mixins.ListModelMixin):
    """Date changes applicants ask for on their bookings: open ones first, then the decided."""

    serializer_class = HostBlockChangeSerializer

    def get_queryset(self):
        status = None
        if self.action == "list":
            filters = HostBlockChangeFilterSerializer(data=sent_values(self.request.query_params))
            filters.is_valid(raise_exception=True)
            status = filters.validated_data.get("status")
        return selectors.block_changes(self.scoped(BlockChange.objects.all()), status=status)

    def _done(self):
        return Response(
            HostBlockChangeSerializer(self.get_object(), context=self.get_serializer_context()).data
        )

    @extend_schema(request=None, responses=HostBlockChangeSerializer, parameters=[ORGANIZATION_PARAMETER])
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Move the booking to the block asked for (a seat must be free there); the applicant is told."""
        block_change_decide(block_change=self.get_object(), actor=request.user, approve=True)
        return self._done()

    @extend_schema(
        request=HostBlockChangeDeclineSerializer,
        responses=HostBlockChangeSerializer,
        parameters=[ORGANIZATION_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Decline with an answer the applicant reads; the booking stays where it is."""
        change = self.get_object()
        data = validated_data(HostBlockChangeDeclineSerializer(data=request.data))
        block_change_decide(block_change=change, actor=request.user, approve=False, answer=data["answer"])
        return self._done()


@extend_schema_view(
    list=extend_schema(parameters=[ORGANIZATION_PARAMETER, HostLetterFilterSerializer]),
    retrieve=extend_schema(parameters=[ORGANIZATION_PARAMETER]),
)
class LetterViewSet(HostViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Letters of recommendation asked of the organization's preceptors (a preceptor sees those
    addressed to them). Every member reads them; only the author acts on one, as its author: the
    services refuse anyone else (403)."""

    serializer_class = HostLetterSerializer

    def roles_for_action(self) -> frozenset:
        return EVERY_ROLE

    def get_queryset(self):
        letters = self.scoped(LetterRequest.objects.all())
        if self.action == "list":
            filters = HostLetterFilterSerializer(data=sent_values(self.request.query_params))
            filters.is_valid(raise_exception=True)
            status = filters.validated_data.get("status")
            if status:
                letters = letters.filter(status=status)
        return letters_with_receipt(letters).prefetch_related("versions")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user if self.request else None
        context["author_of"] = letter_author_preceptor_ids(user) if user and user.is_authenticated else set()
        return context

    def _done(self, code: int = status.HTTP_200_OK):
        return Response(
            HostLetterSerializer(self.get_object(), context=self.get_serializer_context()).data, status=code
        )

    def _as_author(self) -> dict:
        """The request, found in the member's scope (another's is a 404 before any input is read)."""
        return {"letter": self.get_object(), "actor": self.request.user, "role": LetterRole.AUTHOR}

    @extend_schema(request=None, responses=HostLetterSerializer, parameters=[ORGANIZATION_PARAMETER])
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept to write the letter (once); the applicant is told."""
        letter_accept(**self._as_author())
        return self._done()

    @extend_schema(
        request=HostLetterDeclineSerializer,
        responses=HostLetterSerializer,
        parameters=[ORGANIZATION_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Decline the request (once), with a reason the applicant reads."""
        author = self._as_author()
        data = validated_data(HostLetterDeclineSerializer(data=request.data))
        letter_decline(**author, reason=data["reason"])
        return self._done()

    @extend_schema(
        request={"multipart/form-data": HostLetterUploadSerializer},
        responses={201: HostLetterSerializer},
        parameters=[ORGANIZATION_PARAMETER],
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def upload(self, request, pk=None):
        """Upload the letter once accepted, until its submission is confirmed: checked against the ERAS
        portal's rules first (a refusal lists every problem in extra.problems and keeps nothing); a new
        upload is a new version, the one for ERAS, and earlier ones are kept."""
        author = self._as_author()
        data = validated_data(HostLetterUploadSerializer(data=request.data))
        letter_upload(**author, file=data["file"])
        return self._done(status.HTTP_201_CREATED)

    @extend_schema(
        request=HostLetterConfirmSerializer,
        responses=HostLetterSerializer,
        parameters=[ORGANIZATION_PARAMETER],
    )
    @action(detail=True, methods=["post"], url_path="confirm-submission")
    def confirm_submission(self, request, pk=None):
        """Confirm (once) the day you uploaded the letter to the ERAS portal; the applicant is told."""
        author = self._as_author()
        data = validated_data(HostLetterConfirmSerializer(data=request.data))
        letter_confirm_submitted(**author, eras_submitted_on=data["eras_submitted_on"])
        return self._done()


@extend_schema_view(list=extend_schema(parameters=[ORGANIZATION_PARAMETER]))
class ReviewViewSet(HostViewSet, mixins.ListModelMixin):
    """Reviews of your rotations (a preceptor's: of theirs), newest first; hidden ones say so."""

    serializer_class = HostReviewSerializer

    def get_queryset(self):
        return selectors.host_reviews(self.scoped(Review.objects.all()))

    @extend_schema(
        request=HostReviewAnswerSerializer,
        responses=HostReviewSerializer,
        parameters=[ORGANIZATION_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Answer a review in public, once; the applicant is told. A second answer: 409."""
        data = validated_data(HostReviewAnswerSerializer(data=request.data))
        review_answer(review=self.get_object(), actor=request.user, text=data["answer"])
        return Response(HostReviewSerializer(self.get_object(), context=self.get_serializer_context()).data)
