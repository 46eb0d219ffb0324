"""Every admin list of our apps is useful and cheap: every model is registered; each list has its
columns, filters and search; a foreign key edited on a form is picked by autocomplete (or by id),
never from a menu of every row; each search and filter choice answers; and a list of 1,000 rows
costs the same queries as a list of one."""

import copy
import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, ForeignKeyRawIdWidget, RelatedFieldWidgetWrapper
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.db.models import F
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pghistory.models import Event

from amo import audit
from amo.calendar import calendar_feed_issue
from amo.models import AuditEvent, Notification
from amo.services import api_token_create, staff_access_record
from applicants.models import LETTER_CODE_ALPHABET, Application, LetterFileAccess, LetterVersion
from applicants.services import (
    advisor_message_post,
    application_accept,
    application_message_post,
    booking_advisor_assign,
    letter_file_open,
    letter_waiver_record,
    visa_denial_submit,
)
from applicants.workflow import ActorRole
from hosts.models import Accreditation, Organization
from hosts.verification import PreceptorCheckInput, organization_verification_record
from payments.models import LedgerEntry, Payment, Refund, StripeCustomer, StripeEvent
from rotations.models import Block
from rotations.services import first_day_update
from tests.applicants.letters import booking_with_author, letter_requested, letter_uploaded
from tests.applicants.test_evaluations import submit
from tests.factories import (
    PDF_BYTES,
    ApplicationFactory,
    BlockChangeFactory,
    BlockFactory,
    DocumentFactory,
    InvitationFactory,
    OwnerFactory,
    StaffFactory,
    completed_booking,
    review_written,
)

pytestmark = pytest.mark.django_db
S = Application.Status

OUR_APPS = {"amo", "applicants", "hosts", "rotations", "payments"}
ROWS = 1_000

# Lists without a search box or filters, and why.
NO_SEARCH = {
    # The audit trail is a union of every event table: it is read by its filters (record, person,
    # kind of actor, date, action) and from each object's History page.
    "amo.AuditEvent": "the audit trail is read by its filters",
}
NO_FILTER = {
    "rotations.Specialty": "a specialty is a name and its slug",
    "rotations.SearchSynonym": "a synonym is two words",
}


def _ours():
    return sorted(
        (
            (model, model_admin)
            for model, model_admin in admin.site._registry.items()
            if model._meta.app_label in OUR_APPS
        ),
        key=lambda item: item[0]._meta.label,
    )


OURS = _ours()
IDS = [model._meta.label for model, _ in OURS]


def _url(model, view: str = "changelist", *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def world(private_storage):
    """A row of every model of ours, made by the factories and the services."""
    staff = StaffFactory()
    booking = ApplicationFactory(status=S.CONFIRMED, submitted_at=timezone.now())
    applicant = booking.applicant
    DocumentFactory(applicant=applicant)
    booking_advisor_assign(application=booking, advisor=staff, actor=staff)
    advisor_message_post(application=booking, author=staff, body="Welcome; write to me any time.")
    application_message_post(
        application=booking, author=applicant.user, role=ActorRole.APPLICANT, body="Hello."
    )
    visa_denial_submit(
        application=booking,
        actor=applicant.user,
        uploaded_file=SimpleUploadedFile("denial.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    BlockChangeFactory(application=booking, to_block=BlockFactory(rotation=booking.block.rotation))
    first_day_update(rotation=booking.block.rotation, arrival_time="07:30", where_to_go="Room 301.")
    review_written(completed_booking(), 5)
    submit(completed_booking(), staff)
    letter_waiver_record(applicant=applicant, waived=True)
    author_booking = booking_with_author()
    (version,) = letter_uploaded(author_booking, letter_requested(author_booking), texts=["A fine student."])
    letter_file_open(version=version, actor=staff, page="staff admin")
    staff_access_record(user=staff, obj=DocumentFactory(), page="/admin/")
    Notification.objects.create(key="lists", recipient=applicant.user, subject="Hello", body="Hi.")
    api_token_create(user=applicant.user, name="laptop", lifetime_days=30)
    calendar_feed_issue(user=applicant.user)
    owner = OwnerFactory(organization=booking.block.rotation.organization)
    InvitationFactory(organization=owner.organization, invited_by=owner.user)
    # An offer accepted: its enrollment letter is issued.
    offer = ApplicationFactory(
        status=S.OFFERED, submitted_at=timezone.now(), block__rotation__deposit_cents=0
    )
    application_accept(application=offer, actor=offer.applicant.user)
    preceptor = booking.block.rotation.preceptor
    organization_verification_record(
        organization=owner.organization,
        actor=staff,
        accreditation=Accreditation.JOINT_COMMISSION,
        preceptor_checks=[PreceptorCheckInput(preceptor, preceptor.npi_number, "036-123456", "IL")],
    )
    payment = Payment.objects.create(
        application=booking,
        purpose=Payment.Purpose.DEPOSIT,
        amount_cents=50_000,
        status=Payment.Status.SUCCEEDED,
        succeeded_at=timezone.now(),
        payment_intent_id="pi_lists",
    )
    refund = Refund.objects.create(
        payment=payment, amount_cents=1_000, reason=Refund.Reason.CANCELLATION, stripe_refund_id="re_lists"
    )
    organization = booking.block.rotation.organization
    LedgerEntry.objects.create(
        organization=organization, kind=LedgerEntry.Kind.CHARGE, amount_cents=50_000, payment=payment
    )
    LedgerEntry.objects.create(
        organization=organization, kind=LedgerEntry.Kind.REFUND, amount_cents=-1_000, refund=refund
    )
    StripeCustomer.objects.create(applicant=applicant, customer_id="cus_lists")
    StripeEvent.objects.create(event_id="evt_lists", type="payment_intent.succeeded", payload={})
    return staff


# --- Rows by the thousand: copies of one real row, unique where the table asks ---------------------


def _unique_names(model) -> list[str]:
    """The fields that must differ between two copies of a row: the unique ones, and one field of each
    unique constraint (a plain field where there is one, else a foreign key)."""
    names = [
        field.name
        for field in model._meta.concrete_fields
        if field.unique and not (field.primary_key and not field.is_relation)
    ]
    for constraint in model._meta.constraints:
        if not isinstance(constraint, models.UniqueConstraint):
            continue
        fields = list(constraint.fields) or [
            part.name
            for expression in constraint.expressions
            for part in (expression.flatten() if hasattr(expression, "flatten") else [expression])
            if isinstance(part, F)
        ]
        if set(fields) & set(names):
            continue
        plain = [name for name in fields if not model._meta.get_field(name).is_relation]
        names.append((plain or fields)[0])
    return names


def _distinct(value, index: int, field):
    """The index-th value unlike `value`, of the field's kind."""
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.EmailField):
        return f"copy{index}.{value}"
    if isinstance(field, models.CharField | models.TextField):
        # Three letters of the verification codes' alphabet (they fit every code and Letter ID
        # format), one spelling per index up to 32,768.
        def tail(number: int) -> str:
            size = len(LETTER_CODE_ALPHABET)
            letters = "".join(LETTER_CODE_ALPHABET[(number // size**n) % size] for n in range(3))
            return letters.lower() if value.islower() else letters  # a slug stays lower case

        kept = value[: (field.max_length or 200) - 3]
        # A full-length value loses its own last three letters: the index that would spell them
        # again takes a spelling no other copy uses (copies are fewer than half the spellings).
        return kept + (tail(index) if kept + tail(index) != value else tail(index + 16_384))
    if isinstance(field, models.IntegerField):
        return value + index + 1
    if isinstance(field, models.DateTimeField | models.DateField):
        return value + timedelta(days=index + 1)
    raise AssertionError(f"No copy rule for {field}: write a row maker for {field.model._meta.label}.")


def copies(template: models.Model, count: int) -> list[models.Model]:
    """`count` copies of `template` saved in one insert, each with its own parents where a parent is
    unique to its row (a review's booking, an applicant's user)."""
    model = type(template)
    varied = [
        name
        for name in _unique_names(model)
        if getattr(template, model._meta.get_field(name).attname) is not None
    ]
    parents = {
        name: copies(getattr(template, name), count)
        for name in varied
        if model._meta.get_field(name).is_relation
    }
    rows = []
    for index in range(count):
        row = copy.copy(template)
        row._state = copy.copy(template._state)
        row._state.adding, row._state.fields_cache = True, {}
        if not model._meta.pk.is_relation:
            row.pk = None
        for name in varied:
            field = model._meta.get_field(name)
            if field.is_relation:
                setattr(row, name, parents[name][index])
            else:
                setattr(row, field.attname, _distinct(getattr(template, field.attname), index, field))
        rows.append(row)
    return model.objects.bulk_create(rows)


def _template(model):
    """The world's row to copy; the audit trail's are an event table's rows (here an organization's)."""
    if model is AuditEvent:
        return audit.event_model_of(Organization).objects.order_by("pk").first()
    return model._default_manager.order_by("pk").first()


# The audit trail's list reads each page's diffs with one query per event table on the page, so its
# cost follows the mix of tables, not the number of rows: it is measured on one table's events.
LIST_QUERY = {"amo.AuditEvent": "?record=hosts.organization"}


def _queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("model", [model for model, _ in OURS], ids=IDS)
def test_a_changelist_costs_the_same_queries_with_1000_rows_as_with_one(founder_client, world, model):
    template = _template(model)
    assert template is not None, f"Add a row of {model._meta.label} to the world above."
    url = _url(model) + LIST_QUERY.get(model._meta.label, "")
    founder_client.get(url)  # caches filled once per process (content types, the site)
    few = _queries(founder_client, url)
    copies(template, ROWS - 1)
    many = _queries(founder_client, url)
    assert founder_client.get(url).context["cl"].result_count >= ROWS
    assert len(many) == len(few), "\n\n".join(many)


@pytest.mark.parametrize("model", [model for model, _ in OURS], ids=IDS)
def test_every_search_and_filter_choice_of_a_changelist_answers(founder_client, world, model):
    url = _url(model)
    assert founder_client.get(url, {"q": "x"}).status_code == 200
    changelist = founder_client.get(url).context["cl"]
    chosen = 0
    for spec in changelist.filter_specs:
        for choice in spec.choices(changelist):
            response = founder_client.get(url + choice["query_string"])
            assert response.status_code == 200, (spec.title, choice["display"], response.get("Location"))
            chosen += 1
    assert chosen >= len(changelist.filter_specs)


def test_every_model_of_ours_is_registered_in_the_admin():
    # Not the audit trail's event tables (OrganizationEvent, ApplicationEvent...): all of them are
    # read through the one "Audit events" list (amo.AuditEvent) and each object's History page.
    unregistered = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS
        and model not in admin.site._registry
        and not issubclass(model, Event)
    ]
    assert unregistered == []


def test_every_list_of_ours_has_its_columns_filters_and_search():
    lacking = []
    for model, model_admin in OURS:
        label = model._meta.label
        if [name for name in model_admin.list_display if name != "__str__"] == []:
            lacking.append(f"{label}: columns")
        if not model_admin.search_fields and label not in NO_SEARCH:
            lacking.append(f"{label}: search")
        if not model_admin.list_filter and label not in NO_FILTER:
            lacking.append(f"{label}: filters")
    assert lacking == []


def _widget(field):
    widget = field.widget
    return widget.widget if isinstance(widget, RelatedFieldWidgetWrapper) else widget


def test_every_foreign_key_on_an_admin_form_is_chosen_by_autocomplete_or_id(founder_client, world):
    menus = []
    for model, model_admin in OURS:
        obj = _template(model) if model is not AuditEvent else None
        pages = [_url(model, "change", obj.pk)] if obj is not None else []
        if model_admin.has_add_permission(founder_client.get(_url(model)).wsgi_request):
            pages.append(_url(model, "add"))
        for page in pages:
            response = founder_client.get(page)
            assert response.status_code == 200, page
            forms = [response.context["adminform"].form]
            forms += [
                form for inline in response.context["inline_admin_formsets"] for form in inline.formset.forms
            ]
            menus += [
                f"{model._meta.label}.{name}"
                for form in forms
                for name, field in form.fields.items()
                if isinstance(field, ModelChoiceField)
                and not isinstance(field, ModelMultipleChoiceField)
                and not field.widget.is_hidden  # an inline row's own id
                and not isinstance(_widget(field), AutocompleteSelect | ForeignKeyRawIdWidget)
            ]
    assert menus == []


def test_a_letter_version_shows_its_details_in_the_admin_but_never_its_file(founder_client, world):
    version = LetterVersion.objects.get()
    opened = LetterFileAccess.objects.count()
    for url in [_url(LetterVersion), _url(LetterVersion, "change", version.pk)]:
        page = founder_client.get(url).content.decode()
        assert version.filename in page
        assert version.file.name not in page and "/file/" not in page
    assert LetterFileAccess.objects.count() == opened


def test_the_block_list_opens_each_block_on_its_dates_and_capacity_page(founder_client, world):
    block = Block.objects.order_by("pk").first()
    page = founder_client.get(_url(Block)).content.decode()
    assert reverse("admin:rotations_rotation_block_change", args=[block.rotation_id, block.pk]) in page
    assert _url(Block, "change", block.pk) not in page
