"""The applicant's payments API: start paying what an application owes, list its payments.
Only one's own applications; anyone else's is 404. And the host owners' payouts report."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from amo.api import sent_values, validated_data
from amo.schema import UNAVAILABLE
from applicants.api import ApplicantAPIView, _own
from hosts.api import ORGANIZATION_PARAMETER
from hosts.tenancy import IsOrganizationMember, Role, Tenancy
from payments import selectors, services
from payments.serializers import (
    PaymentSerializer,
    PaymentStartedSerializer,
    PaymentStartSerializer,
    PayoutPeriodSerializer,
    PayoutReportSerializer,
)


class ApplicationPaymentsAPI(ApplicantAPIView):
    @extend_schema(
        summary="The payments of one of your applications, with their refunds",
        operation_id="application_payments_list",
        responses=PaymentSerializer(many=True),
    )
    def get(self, request, pk: int):
        application = _own(self.applicant(), pk)
        payments = selectors.application_payments(application=application)
        return Response(PaymentSerializer(payments, many=True).data)

    @extend_schema(
        summary="Start paying what is due (answers the PaymentIntent's client secret for Stripe.js)",
        description=(
            "Resumes the open payment of that purpose when there is one. The payment counts once "
            "Stripe confirms it (webhook or server-side fetch), never on the browser's word."
        ),
        request=PaymentStartSerializer,
        responses={201: PaymentStartedSerializer, 503: UNAVAILABLE},
    )
    def post(self, request, pk: int):
        application = _own(self.applicant(), pk)
        purpose = validated_data(PaymentStartSerializer(data=request.data))["purpose"]
        payment = services.payment_start(application=application, purpose=purpose, actor=request.user)
        payment.publishable_key = settings.STRIPE_PUBLISHABLE_KEY
        return Response(PaymentStartedSerializer(payment).data, status=status.HTTP_201_CREATED)


class HostPayoutsAPI(Tenancy, APIView):
    """GET /api/v1/host/payouts/: the organization's balance and a period's payout report. Owners only."""

    permission_classes = [IsOrganizationMember]
    allowed_roles = frozenset({Role.OWNER})

    @extend_schema(
        summary="Your organization's balance and the period's ledger totals and lines (owners only)",
        description=(
            "Computed from the append-only ledger: charges (+), platform commission (-), refunds (-), "
            "commission returned with refunds (+) and payouts (-), in integer cents from the host's side. "
            "`from` and `to` are dates (UTC), both included; either may be left out."
        ),
        parameters=[
            ORGANIZATION_PARAMETER,
            OpenApiParameter("from", OpenApiTypes.DATE, OpenApiParameter.QUERY, required=False),
            OpenApiParameter("to", OpenApiTypes.DATE, OpenApiParameter.QUERY, required=False),
        ],
        responses=PayoutReportSerializer,
        operation_id="host_payouts_retrieve",
    )
    def get(self, request):
        period = validated_data(PayoutPeriodSerializer(data=sent_values(request.query_params)))
        report = selectors.organization_payout_report(organization=self.organization, **period)
        balance = selectors.organization_balance(organization=self.organization)
        return Response(PayoutReportSerializer({"balance_cents": balance, "report": report}).data)
