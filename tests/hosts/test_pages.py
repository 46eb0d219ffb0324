"""Every host page renders for keyboard users: each control labelled, nothing inline that CSP blocks,
no positive tabindex, actions are real buttons and links."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.hosts.conftest import login

pytestmark = pytest.mark.django_db


class PageAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.labels_for: set[str] = set()
        self.controls: list[dict] = []
        self.problems: list[str] = []
        self.open_label = 0
        self.in_button = False
        self.button_text = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes:
            self.problems.append(f"inline style on <{tag}>")
        if tag == "script" and "src" not in attributes:
            self.problems.append("inline <script>")
        if any(name.startswith("on") for name in attributes):
            self.problems.append(f"inline event handler on <{tag}>")
        if int(attributes.get("tabindex") or 0) > 0:
            self.problems.append(f"positive tabindex on <{tag}>")
        if tag == "label":
            self.open_label += 1
            if attributes.get("for"):
                self.labels_for.add(attributes["for"])
        if tag in {"input", "select", "textarea"} and attributes.get("type") not in {"hidden", "submit"}:
            self.controls.append({**attributes, "_wrapped": self.open_label > 0, "_tag": tag})
        if tag == "button":
            self.in_button, self.button_text = True, attributes.get("aria-label") or ""
        if tag == "a" and not attributes.get("href"):
            self.problems.append("<a> without href")

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_label -= 1
        if tag == "button":
            self.in_button = False
            if not self.button_text.strip():
                self.problems.append("button without text")

    def handle_data(self, data):
        if self.in_button:
            self.button_text += data

    def unlabelled(self) -> list[str]:
        return [
            f"<{c['_tag']} name={c.get('name')}>"
            for c in self.controls
            if not (c["_wrapped"] or c.get("aria-label") or c.get("id") in self.labels_for)
        ]


def audit(html: str) -> list[str]:
    parser = PageAudit()
    parser.feed(html)
    return parser.problems + [f"unlabelled {c}" for c in parser.unlabelled()]


def test_every_host_page_is_labelled_and_csp_clean(client, tenant_a):
    login(client, tenant_a.owner)
    a = tenant_a
    pages = [
        reverse("hosts:dashboard"),
        reverse("hosts:members"),
        reverse("hosts:preceptor_create"),
        reverse("hosts:rotations"),
        reverse("hosts:rotation_create"),
        reverse("hosts:rotation_detail", args=[a.rotation.pk]),
        reverse("hosts:rotation_update", args=[a.rotation.pk]),
        reverse("hosts:block_update", args=[a.block.pk]),
        reverse("hosts:applications"),
        reverse("hosts:application_detail", args=[a.application.pk]),
        reverse("hosts:roster"),
        reverse("hosts:calendar"),
        reverse("hosts:onboarding"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert audit(response.content.decode()) == [], url


def test_the_audit_notices_an_unlabelled_control():
    assert audit('<input name="q"><button></button>') == ["button without text", "unlabelled <input name=q>"]


# --- Error pages ----------------------------------------------------------------------------------


def test_a_coordinator_opening_an_owners_page_gets_the_friendly_403_saying_it_is_for_owners(client, tenant_a):
    login(client, tenant_a.coordinator)
    response = client.get(reverse("hosts:members"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "You cannot open this page" in html
    assert "This page is for your organization&#x27;s owners; you are a coordinator" in html
    assert f'href="{reverse("hosts:dashboard")}"' in html  # a way back
    assert audit(html) == []


def test_the_api_names_the_role_an_action_needs_like_the_pages_do(client, tenant_a):
    login(client, tenant_a.preceptor_member)
    application = tenant_a.application.pk
    page = client.post(reverse("hosts:application_waitlist", args=[application]))
    api = client.post(reverse("hosts_api:application-waitlist", args=[application]))
    assert page.status_code == api.status_code == 403
    needed = "for your organization's owners and coordinators; "
    needed += f"you are a preceptor of {tenant_a.organization}."
    assert api.json()["message"] == f"This action is {needed}"
    assert f"This page is {needed}".replace("'", "&#x27;") in page.content.decode()


def test_a_missing_page_gets_the_friendly_404_with_a_way_back(client, tenant_a):
    login(client, tenant_a.coordinator)
    response = client.get(reverse("hosts:application_detail", args=[987654]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find this page" in html
    assert f'href="{reverse("home")}"' in html
    assert audit(html) == []


def test_the_500_page_renders_without_a_request_or_the_database(django_assert_num_queries):
    from django.template import loader

    with django_assert_num_queries(0):
        html = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in html and 'href="/"' in html
    assert audit(html) == []
