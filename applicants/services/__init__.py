"""Writes of the applicants app, one module per use case: the profile, the document vault, and
applications (submission, review, offers, booking, the payment hand-off, cancellation, the
lifecycle, date changes, the waitlist and the sweeps), advisors, their enrollment letters, letters
of recommendation, visa denials, reviews, and the evaluation of a completed rotation with its
certificate of completion. Every transition goes through applicants.workflow (a letter request's
through applicants.lor_workflow) and is told to the other side."""

from applicants.services.advisors import advisor_message_post, booking_advisor_assign
from applicants.services.block_changes import (
    block_change_decide,
    block_change_quote,
    block_change_request,
    booking_move_by_staff,
)
from applicants.services.booking import (
    application_book_now,
    application_documents_send,
)
from applicants.services.cancellation import application_cancel
from applicants.services.documents import (
    EXPIRING_KINDS,
    MAX_DOCUMENT_BYTES,
    document_delete,
    document_expiry_window,
    document_file_open,
    document_reject,
    document_upload,
    document_verify,
)
from applicants.services.evaluations import evaluation_submit
from applicants.services.letter_requests import (
    letter_accept,
    letter_author_link_send,
    letter_confirm_submitted,
    letter_decline,
    letter_file_open,
    letter_request_make,
    letter_upload,
    letter_waiver_record,
    letter_withdraw,
    letters_expire_unanswered,
)
from applicants.services.letters import enrollment_letter_follow
from applicants.services.lifecycle import application_end_early, application_record_no_show, bookings_advance
from applicants.services.offers import application_accept, application_decline, application_offer
from applicants.services.payment_handoff import application_payment_confirm
from applicants.services.profile import (
    account_delete,
    applicant_create,
    applicant_delete,
    applicant_profile_update,
)
from applicants.services.review import (
    BULK_ACTIONS,
    application_reject,
    application_request_info,
    application_start_review,
    application_waitlist,
    applications_bulk,
)
from applicants.services.reviews import review_answer, review_hide, review_submit, review_unhide
from applicants.services.submission import (
    MAX_MESSAGE_CHARS,
    MAX_STATEMENT_CHARS,
    application_apply,
    application_draft_save,
    application_message_post,
    application_submit,
    application_withdraw,
    email_is_verified,
)
from applicants.services.sweeps import (
    application_expire,
    application_expire_undecided,
    holds_sweep,
)
from applicants.services.visa_denials import visa_denial_accept, visa_denial_refuse, visa_denial_submit
from applicants.services.waitlist import offer_deadline_default, waitlist_promote

__all__ = [
    # profile
    "account_delete",
    "applicant_create",
    "applicant_delete",
    "applicant_profile_update",
    # documents
    "EXPIRING_KINDS",
    "MAX_DOCUMENT_BYTES",
    "document_delete",
    "document_file_open",
    "document_expiry_window",
    "document_reject",
    "document_upload",
    "document_verify",
    # applications
    "BULK_ACTIONS",
    "MAX_MESSAGE_CHARS",
    "MAX_STATEMENT_CHARS",
    "application_accept",
    "application_apply",
    "application_book_now",
    "application_cancel",
    "application_decline",
    "application_documents_send",
    "application_draft_save",
    "application_end_early",
    "application_expire",
    "application_expire_undecided",
    "application_message_post",
    "application_offer",
    "application_payment_confirm",
    "application_record_no_show",
    "application_reject",
    "application_request_info",
    "application_start_review",
    "application_submit",
    "application_waitlist",
    "application_withdraw",
    "applications_bulk",
    "block_change_decide",
    "block_change_quote",
    "bookings_advance",
    "block_change_request",
    "booking_move_by_staff",
    "email_is_verified",
    "enrollment_letter_follow",
    "holds_sweep",
    "offer_deadline_default",
    "waitlist_promote",
    # advisors
    "advisor_message_post",
    "booking_advisor_assign",
    # letters of recommendation
    "letter_accept",
    "letter_author_link_send",
    "letter_confirm_submitted",
    "letter_decline",
    "letter_file_open",
    "letter_request_make",
    "letter_upload",
    "letter_waiver_record",
    "letter_withdraw",
    "letters_expire_unanswered",
    # reviews
    "review_answer",
    "review_hide",
    "review_submit",
    "review_unhide",
    # visa denials
    "visa_denial_accept",
    "visa_denial_refuse",
    "visa_denial_submit",
    # evaluations and certificates of completion
    "evaluation_submit",
]
