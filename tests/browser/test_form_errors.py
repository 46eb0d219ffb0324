"""A refused form says which field is wrong to everyone: the field is marked invalid and its error
message is the field's accessible description, so a screen reader reads it with the field."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.actions import log_in
from tests.factories import ApplicantFactory, BlockFactory, EmailAddressFactory, MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_applicant_hears_which_profile_field_is_wrong(page):
    applicant = ApplicantFactory()
    EmailAddressFactory(user=applicant.user)
    log_in(page, applicant.user.email)
    page.goto("/me/profile/")
    page.get_by_label("Phone").fill("call me")
    page.get_by_role("button", name="Save profile").click()

    phone = page.get_by_label("Phone")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description(re.compile("Enter a phone number with its country code"))


def test_a_host_hears_which_block_field_is_wrong(page):
    coordinator = MembershipFactory()
    EmailAddressFactory(user=coordinator.user)
    block = BlockFactory(rotation__organization=coordinator.organization)
    log_in(page, coordinator.user.email)
    page.goto(f"/host/rotations/{block.rotation.pk}/")
    page.get_by_label("Weeks").fill("4")
    page.get_by_role("button", name="Add block").click()

    capacity = page.get_by_label("Capacity")
    expect(capacity).to_have_attribute("aria-invalid", "true")
    expect(capacity).to_have_accessible_description("Seats on this block. This field is required.")
    expect(page.get_by_label("Weeks")).not_to_have_attribute("aria-invalid", "true")
