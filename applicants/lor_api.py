"""The applicant's API for letters of recommendation: request one on a booking, list them with
their status and dates, withdraw one, and download a letter they kept the right to see.

A waived letter is never reachable here: its answer has no file field, URL, file name, size or
hash, and its download is the same 404 as no letter (the service refuses it too).
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from amo.api import sent_values, validated_data
from applicants import selectors
from applicants.api import ApplicantAPIView, _own
from applicants.files import file_download
from applicants.lor_workflow import ActorRole
from applicants.models import LetterRequest
from applicants.serializers import LetterRequestCreateSerializer, LetterSerializer
from applicants.services.letter_requests import letter_file_open, letter_request_make, letter_withdraw


def _letter_answer(applicant, pk: int, code: int = status.HTTP_200_OK) -> Response:
    letter = selectors.letters_with_receipt(selectors.letters_of_applicant(applicant)).get(pk=pk)
    return Response(LetterSerializer(letter).data, status=code)


def _own_letter(applicant, pk: int) -> LetterRequest:
    letter = selectors.letters_of_applicant(applicant).filter(pk=pk).first()
    if letter is None:
        raise Http404
    return letter


class ApplicationLettersAPI(ApplicantAPIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": LetterRequestCreateSerializer},
        responses={201: LetterSerializer},
        summary="Request a letter of recommendation for one of your bookings",
        description="From the 15th day of a rotation under way (its third week), or once it is completed. "
        "The author is a preceptor of the rotation's organization; they are emailed a link to accept or "
        "decline, upload the letter and confirm its submission to ERAS. One open request per booking and "
        "author; an ERAS Letter ID is used by one request at a time (409 otherwise).",
    )
    def post(self, request, pk: int):
        applicant = self.applicant()
        application = _own(applicant, pk)
        data = validated_data(LetterRequestCreateSerializer(data=sent_values(request.data)))
        preceptor = data.get("preceptor") or application.block.rotation.preceptor
        letter = letter_request_make(
            application=application,
            actor=request.user,
            preceptor=preceptor,
            author_name=data.get("author_name", ""),
            author_title=data["author_title"],
            author_email=data.get("author_email") or selectors.letter_author_email_default(preceptor),
            eras_letter_id=data["eras_letter_id"],
            specialty=data.get("specialty"),
            due_on=data["due_on"],
            request_form=data["request_form"],
            waived=data.get("waived"),
        )
        return _letter_answer(applicant, letter.pk, status.HTTP_201_CREATED)


class LetterListAPI(ApplicantAPIView, generics.GenericAPIView):
    serializer_class = LetterSerializer

    def get_queryset(self):
        return selectors.letters_with_receipt(selectors.letters_of_applicant(self.applicant()))

    @extend_schema(
        responses=LetterSerializer(many=True),
        summary="Your letters of recommendation, with their status and dates, newest first",
        operation_id="me_letters_list",
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(LetterSerializer(page, many=True).data)


class LetterWithdrawAPI(ApplicantAPIView):
    @extend_schema(
        request=None,
        responses=LetterSerializer,
        summary="Withdraw one of your letter requests while it is open; the author is told",
    )
    def post(self, request, pk: int):
        applicant = self.applicant()
        letter_withdraw(letter=_own_letter(applicant, pk), actor=request.user, role=ActorRole.APPLICANT)
        return _letter_answer(applicant, pk)


class LetterFileAPI(ApplicantAPIView):
    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="Download the newest version of a letter you kept the right to see (PDF)",
        description="Only when you did not waive your right to see it, once its author uploaded it; "
        "otherwise 404. Every download is logged.",
    )
    def get(self, request, pk: int):
        version = selectors.letter_version_for_applicant(_own_letter(self.applicant(), pk))
        if version is None:
            raise Http404
        opened = letter_file_open(version=version, actor=request.user, page=request.path)
        return file_download(opened, content_type="application/pdf", filename=version.filename)
