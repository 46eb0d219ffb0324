"""The applicant's API: profile, documents, applications. Only one's own objects; others are 404."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from amo.api import sent_values, validated_data
from amo.errors import DomainError
from amo.models import User
from amo.selectors import reminders_upcoming
from applicants import selectors, services
from applicants.letter_pdf import certificate_response, letter_response
from applicants.models import Applicant, Application
from applicants.serializers import (
    ApplicationCreateSerializer,
    ApplicationDetailSerializer,
    ApplicationSerializer,
    BlockChangeRequestSerializer,
    BookNowSerializer,
    DocumentSerializer,
    DocumentsSendSerializer,
    DocumentUploadSerializer,
    ProfileSerializer,
    RefundQuoteSerializer,
    ReminderSerializer,
    ReviewSerializer,
    ReviewSubmitSerializer,
    VisaDenialSerializer,
    VisaDenialSubmitSerializer,
    WithdrawSerializer,
)
from applicants.workflow import ActorRole, targets_from
from payments.serializers import PriceDifferenceSerializer

S = Application.Status
ONLY_CONFIRMED_CANCELS = "Only a confirmed booking can be cancelled."


class ApplicantAPIView(APIView):
    """Base of every endpoint here: a logged-in applicant (session or token)."""

    permission_classes = [IsAuthenticated]

    def applicant_user(self) -> User:
        """The requester, who must be an applicant."""
        user = self.request.user
        if not user.is_applicant:
            raise PermissionDenied("This account is not an applicant.")
        return user

    def applicant(self) -> Applicant:
        user = self.applicant_user()
        applicant = selectors.applicant_profile(user=user)
        # An applicant account made outside signup (admin, seed data) gets its empty profile here.
        return applicant or services.applicant_create(user=user)


def _with_next_steps(applications):
    for application in applications:
        application.next_step = selectors.application_next_step(application)
    return applications


class ProfileAPI(ApplicantAPIView):
    def _render(self, applicant: Applicant) -> Response:
        applicant.completeness = selectors.profile_completeness(applicant=applicant)
        return Response(ProfileSerializer(applicant).data)

    @extend_schema(responses=ProfileSerializer, summary="Your applicant profile, with its completeness")
    def get(self, request):
        return self._render(self.applicant())

    @extend_schema(
        request=ProfileSerializer,
        responses=ProfileSerializer,
        summary="Change your profile",
    )
    def patch(self, request):
        applicant = self.applicant()
        serializer = ProfileSerializer(applicant, data=request.data, partial=True)
        services.applicant_profile_update(applicant=applicant, data=validated_data(serializer))
        return self._render(selectors.applicant_profile(user=request.user))


class DocumentListAPI(ApplicantAPIView, generics.GenericAPIView):
    serializer_class = DocumentSerializer
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        return selectors.applicant_documents(applicant=self.applicant())

    @extend_schema(
        responses=DocumentSerializer(many=True), summary="Your documents", operation_id="me_documents_list"
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DocumentSerializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer},
        summary="Upload a document (PDF, JPEG or PNG, at most 10 MB)",
    )
    def post(self, request):
        applicant = self.applicant()
        serializer = DocumentUploadSerializer(data=sent_values(request.data))
        data = validated_data(serializer)
        document = services.document_upload(
            applicant=applicant,
            kind=data["kind"],
            uploaded_file=data["file"],
            expires_on=data.get("expires_on"),
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class ReminderListAPI(ApplicantAPIView, generics.GenericAPIView):
    serializer_class = ReminderSerializer

    def get_queryset(self):
        return selectors.reminders_with_application(reminders_upcoming(user=self.applicant_user()))

    @extend_schema(
        responses=ReminderSerializer(many=True),
        summary="Your reminders to come (neither sent nor cancelled), soonest first",
        operation_id="me_reminders_list",
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ReminderSerializer(page, many=True).data)


class ApplicationListAPI(ApplicantAPIView, generics.GenericAPIView):
    serializer_class = ApplicationSerializer

    def get_queryset(self):
        return selectors.applicant_applications(applicant=self.applicant())

    @extend_schema(
        responses=ApplicationSerializer(many=True),
        summary="Your applications",
        operation_id="applications_list",
    )
    def get(self, request):
        page = _with_next_steps(self.paginate_queryset(self.get_queryset()))
        return self.get_paginated_response(ApplicationSerializer(page, many=True).data)

    @extend_schema(
        request=ApplicationCreateSerializer,
        responses={201: ApplicationDetailSerializer},
        summary="Apply for a block (submit at once, or keep a draft)",
    )
    def post(self, request):
        applicant = self.applicant()
        serializer = ApplicationCreateSerializer(data=request.data)
        data = validated_data(serializer)
        save = services.application_apply if data["submit"] else services.application_draft_save
        application = save(
            applicant=applicant,
            block=data["block"],
            personal_statement=data["personal_statement"],
            documents=data["documents"],
        )
        return _detail_response(applicant, application.pk, status.HTTP_201_CREATED)


def _detail_response(applicant: Applicant, pk: int, code: int = status.HTTP_200_OK) -> Response:
    application = selectors.applicant_application(applicant=applicant, pk=pk)
    if application is None:
        raise Http404
    _with_next_steps([application])
    application.enrollment_letter = selectors.enrollment_letter_standing(application)
    application.submitted_evaluation = selectors.evaluation_of(application)
    application.certificate_issued = selectors.certificate_standing(application)
    return Response(ApplicationDetailSerializer(application).data, status=code)


class ApplicationDetailAPI(ApplicantAPIView):
    @extend_schema(responses=ApplicationDetailSerializer, summary="One of your applications")
    def get(self, request, pk: int):
        return _detail_response(self.applicant(), pk)


class ApplicationEnrollmentLetterAPI(ApplicantAPIView):
    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="Download the enrollment letter of one of your bookings (PDF)",
        description="The letter for the consulate: your legal name and passport country, the host, the "
        "preceptor, the dates, the site address, and the verification code with its URL. While the "
        "booking is confirmed, under way or completed; otherwise, or for no letter yet, 404.",
    )
    def get(self, request, pk: int):
        letter = selectors.enrollment_letter_of(applicant=self.applicant(), pk=pk)
        if letter is None:
            raise Http404
        return letter_response(letter)


class ApplicationCertificateAPI(ApplicantAPIView):
    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="Download the certificate of completion of one of your bookings (PDF)",
        description="Issued when the preceptor submits the evaluation of your completed rotation: your "
        "name, the rotation, the host, the preceptor, the dates, the hours, and the verification code with "
        "its URL. Before the evaluation, or for anyone else's booking, 404.",
    )
    def get(self, request, pk: int):
        certificate = selectors.certificate_of(applicant=self.applicant(), pk=pk)
        if certificate is None:
            raise Http404
        return certificate_response(certificate)


def _own(applicant: Applicant, pk: int):
    """One of the applicant's applications; anyone else's is the same 404 as none."""
    application = selectors.applicant_application(applicant=applicant, pk=pk)
    if application is None:
        raise Http404
    return application


class ApplicationSubmitAPI(ApplicantAPIView):
    @extend_schema(
        request=None,
        responses=ApplicationDetailSerializer,
        summary="Submit one of your drafts",
    )
    def post(self, request, pk: int):
        applicant = self.applicant()
        application = _own(applicant, pk)
        services.application_submit(application=application, actor=request.user)
        return _detail_response(applicant, pk)


class ApplicationWithdrawAPI(ApplicantAPIView):
    @extend_schema(
        request=WithdrawSerializer,
        responses=ApplicationDetailSerializer,
        summary="Withdraw one of your applications",
    )
    def post(self, request, pk: int):
        applicant = self.applicant()
        application = _own(applicant, pk)
        serializer = WithdrawSerializer(data=request.data)
        services.application_withdraw(
            application=application, actor=request.user, reason=validated_data(serializer)["reason"]
        )
        return _detail_response(applicant, pk)


class ApplicationAcceptAPI(ApplicantAPIView):
    @extend_schema(
        request=None,
        responses=ApplicationDetailSerializer,
        summary="Accept an offer before its deadline (confirmed at once, or awaiting the deposit)",
    )
    def post(self, request, pk: int):
        applicant = self.applicant()
        services.application_accept(application=_own(applicant, pk), actor=request.user)
        return _detail_response(applicant, pk)


class ApplicationDeclineAPI(ApplicantAPIView):
    @extend_schema(
        request=WithdrawSerializer, responses=ApplicationDetailSerializer, summary="Decline an offer"
    )
    def post(self, request, pk: int):
        applicant = self.applicant()
        application = _own(applicant, pk)
        reason = validated_data(WithdrawSerializer(data=request.data))["reason"]
        services.application_decline(application=application, actor=request.user, reason=reason)
        return _detail_response(applicant, pk)


class ApplicationCancelAPI(ApplicantAPIView):
    @extend_schema(
        request=WithdrawSerializer,
        parameters=[
            OpenApiParameter(
                "preview",
                OpenApiTypes.BOOL,
                description="1: answer the refund the cancellation policy gives today, from the payments "
                "made (what the cancellation then refunds), and change nothing.",
            )
        ],
        responses={
            200: PolymorphicProxySerializer(
                component_name="CancelAnswer",
                serializers=[ApplicationDetailSerializer, RefundQuoteSerializer],
                resource_type_field_name=None,
            ),
        },
        summary="Cancel a confirmed booking (?preview=1 shows the refund first)",
    )
    def post(self, request, pk: int):
        applicant = self.applicant()
        application = _own(applicant, pk)
        if request.query_params.get("preview") in ("1", "true"):
            # A refund is quoted only for what can be cancelled, as the cancel page refuses the rest.
            if S.CANCELLED not in targets_from(application.status, ActorRole.APPLICANT):
                raise DomainError(ONLY_CONFIRMED_CANCELS, status=409)
            return Response(RefundQuoteSerializer(selectors.refund_quote(application=application)).data)
        reason = validated_data(WithdrawSerializer(data=request.data))["reason"]
        services.application_cancel(
            application=application, actor=request.user, role=ActorRole.APPLICANT, reason=reason
        )
        return _detail_response(applicant, pk)


class ApplicationVisaDenialAPI(ApplicantAPIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        responses=VisaDenialSerializer(many=True),
        summary="The visa denial letters sent for one of your bookings and staff's answers",
        operation_id="application_visa_denials_list",
    )
    def get(self, request, pk: int):
        application = _own(self.applicant(), pk)
        return Response(VisaDenialSerializer(application.visa_denials.all(), many=True).data)

    @extend_schema(
        request={"multipart/form-data": VisaDenialSubmitSerializer},
        responses={201: VisaDenialSerializer},
        summary="Send the consulate's visa denial letter for a confirmed booking",
        description=(
            "Our staff check the letter. Accepted, the booking is cancelled and the whole program fee "
            "paid is refunded (the application fee is not); refused, you are told why."
        ),
    )
    def post(self, request, pk: int):
        application = _own(self.applicant(), pk)
        data = validated_data(VisaDenialSubmitSerializer(data=request.data))
        denial = services.visa_denial_submit(
            application=application, actor=request.user, uploaded_file=data["file"]
        )
        return Response(VisaDenialSerializer(denial).data, status=status.HTTP_201_CREATED)


class ApplicationReviewAPI(ApplicantAPIView):
    @extend_schema(
        responses=ReviewSerializer,
        summary="Your review of one of your completed bookings (404 before you wrote one)",
        operation_id="application_review_retrieve",
    )
    def get(self, request, pk: int):
        review = selectors.review_of(_own(self.applicant(), pk))
        if review is None:
            raise Http404("You have not reviewed this booking.")
        return Response(ReviewSerializer(review).data)

    @extend_schema(
        request=ReviewSubmitSerializer,
        responses={201: ReviewSerializer},
        summary="Review one of your completed bookings (once)",
        description="Four ratings from 1 (poor) to 5 (excellent) and a few words, shown on the rotation's "
        "page with the month it ended; the host may answer once, in public. Only a completed booking, and "
        "only once: otherwise 409.",
    )
    def post(self, request, pk: int):
        application = _own(self.applicant(), pk)
        data = validated_data(ReviewSubmitSerializer(data=request.data))
        review = services.review_submit(application=application, actor=request.user, **data)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ApplicationBlockChangeAPI(ApplicantAPIView):
    @extend_schema(
        request=BlockChangeRequestSerializer,
        parameters=[
            OpenApiParameter(
                "preview",
                OpenApiTypes.BOOL,
                description="1: answer what the move would refund or charge and change nothing.",
            )
        ],
        responses={
            200: PriceDifferenceSerializer,
            201: ApplicationDetailSerializer,
        },
        summary="Ask to move a confirmed booking to another block of the same organization "
        "(?preview=1 shows the price difference first)",
    )
    def post(self, request, pk: int):
        applicant = self.applicant()
        application = _own(applicant, pk)
        data = validated_data(BlockChangeRequestSerializer(data=request.data))
        if request.query_params.get("preview") in ("1", "true"):
            difference = services.block_change_quote(
                application=application, actor=request.user, to_block=data["to_block"]
            )
            return Response(PriceDifferenceSerializer(difference).data)
        services.block_change_request(
            application=application, actor=request.user, to_block=data["to_block"], reason=data["reason"]
        )
        return _detail_response(applicant, pk, status.HTTP_201_CREATED)


class ApplicationDocumentsAPI(ApplicantAPIView):
    @extend_schema(
        request=DocumentsSendSerializer,
        responses=ApplicationDetailSerializer,
        summary="Send documents from your vault to a booking whose documents are due",
    )
    def post(self, request, pk: int):
        applicant = self.applicant()
        application = _own(applicant, pk)
        data = validated_data(DocumentsSendSerializer(data=request.data))
        services.application_documents_send(
            application=application, actor=request.user, documents=data["documents"]
        )
        return _detail_response(applicant, pk)


class BookNowAPI(ApplicantAPIView):
    @extend_schema(
        request=BookNowSerializer,
        responses={201: ApplicationDetailSerializer},
        summary="Book a seat of a book-now block at once (documents may follow within 7 days)",
    )
    def post(self, request):
        applicant = self.applicant()
        data = validated_data(BookNowSerializer(data=request.data))
        application = services.application_book_now(
            applicant=applicant,
            block=data["block"],
            personal_statement=data["personal_statement"],
            documents=data["documents"],
            application=selectors.live_application_for_block(applicant=applicant, block=data["block"]),
        )
        return _detail_response(applicant, application.pk, status.HTTP_201_CREATED)
