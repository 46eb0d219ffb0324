from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.factories import OrganizationFactory, SpecialtyFactory, catalog_rotation


@pytest.fixture(autouse=True)
def _static_without_manifest(settings):
    """Pages render {% static %}; tests run DEBUG off, without collectstatic's manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def three_rotations(db):
    """Fixed data for filters and sorts: one rotation per line of the table in each test."""
    today = date.today()
    now = timezone.now()
    a = catalog_rotation(
        slug="a",
        title="Cardiology Externship",
        specialty=SpecialtyFactory(name="Cardiology", slug="cardiology"),
        organization=OrganizationFactory(name="Houston Heart", city="Houston", state="TX"),
        rotation_type="hands_on",
        setting="inpatient",
        application_fee_cents=10_000,
        program_fee_cents=250_000,
        deposit_cents=50_000,
        offers_lor=True,
        accepted_visa_types=["b1_b2"],
        published_at=now - timedelta(days=30),
        blocks=[{"days_ahead": 40, "weeks": 4, "capacity": 3, "apply_by": today + timedelta(days=10)}],
    )
    b = catalog_rotation(
        slug="b",
        title="Pediatrics Observership",
        specialty=SpecialtyFactory(name="Pediatrics", slug="pediatrics"),
        organization=OrganizationFactory(name="Lakeside Children's", city="Chicago", state="IL"),
        rotation_type="observership",
        setting="outpatient",
        application_fee_cents=5_000,
        program_fee_cents=90_000,
        deposit_cents=20_000,
        offers_lor=False,
        accepted_visa_types=[],
        published_at=now - timedelta(days=20),
        blocks=[{"days_ahead": 100, "weeks": 2, "capacity": 2, "seats_taken": 2}],
    )
    c = catalog_rotation(
        slug="c",
        title="Telepsychiatry Rotation",
        specialty=SpecialtyFactory(name="Psychiatry", slug="psychiatry"),
        organization=OrganizationFactory(name="Back Bay Behavioral", city="Boston", state="MA"),
        rotation_type="telehealth",
        setting="outpatient",
        application_fee_cents=0,
        program_fee_cents=150_000,
        deposit_cents=30_000,
        offers_lor=True,
        accepted_visa_types=["j1"],
        published_at=now - timedelta(days=10),
        blocks=[{"days_ahead": 200, "weeks": 8, "capacity": 2, "seats_taken": 1}],
    )
    return {"a": a, "b": b, "c": c}
