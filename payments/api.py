"""The applicant's payments API: start paying what an application owes, list its payments.
Only one's own applications; anyone else's is 404."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from amo.api import validated_data
from applicants.api import ERROR, ApplicantAPIView, _own
from payments import selectors, services
from payments.serializers import PaymentSerializer, PaymentStartedSerializer, PaymentStartSerializer


class ApplicationPaymentsAPI(ApplicantAPIView):
    @extend_schema(
        summary="The payments of one of your applications, with their refunds",
        operation_id="application_payments_list",
        responses={200: PaymentSerializer(many=True), 404: ERROR},
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
        responses={201: PaymentStartedSerializer, 400: ERROR, 404: ERROR, 409: ERROR, 503: ERROR},
    )
    def post(self, request, pk: int):
        application = _own(self.applicant(), pk)
        purpose = validated_data(PaymentStartSerializer(data=request.data))["purpose"]
        payment = services.payment_start(application=application, purpose=purpose, actor=request.user)
        payment.publishable_key = settings.STRIPE_PUBLISHABLE_KEY
        return Response(PaymentStartedSerializer(payment).data, status=status.HTTP_201_CREATED)
