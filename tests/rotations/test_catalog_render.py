"""How the catalog's pages are rendered: Jinja2 templates (amo/jinja.py), widgets built in Python
(amo.forms), and a FilterSet that shares its choices rather than copying them (rotations.filters).

These pin the markup the Django templates and widget templates wrote before them: ids, labels,
aria attributes and escaping.
"""

import copy
from datetime import date

import pytest
from django.http import QueryDict
from django.template import Context, RequestContext, Template, defaultfilters, engines
from django.test import RequestFactory
from django.urls import reverse

from amo.jinja import slug_url
from amo.templatetags import amo_forms
from rotations.filters import RotationFilter
from rotations.templatetags import catalog
from tests.factories import OrganizationFactory, SpecialtyFactory, catalog_rotation

pytestmark = pytest.mark.django_db
LIST = "/rotations/"
HOSTILE = '<script>alert("x")</script> & Co'
HOSTILE_ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co"


def test_the_filter_form_writes_each_input_with_its_value_label_help_and_attributes(client):
    page = client.get(LIST, {"q": 'heart "cath" <lab>', "state": "IL", "lor": "true", "weeks": "4"})
    html = page.content.decode()
    assert (
        '<input type="text" name="q" value="heart &#34;cath&#34; &lt;lab&gt;" maxlength="200"'
        ' class="form-control" aria-describedby="id_q_helptext" id="id_q">'
    ) in html
    assert '<label class="form-label small fw-semibold" for="id_state">State</label>' in html
    assert '<select name="state" class="form-select" id="id_state">' in html
    assert '<option value="">Any state</option>' in html
    assert '<option value="IL" selected>Illinois</option>' in html
    assert '<option value="TX">Texas</option>' in html
    assert (
        '<input type="number" name="weeks" value="4" min="1" max="52" step="1" class="form-control"'
        ' aria-describedby="id_weeks_helptext" id="id_weeks">'
    ) in html
    assert '<div class="form-text" id="id_weeks_helptext">Length of the block in weeks.</div>' in html
    assert '<input type="checkbox" name="lor" class="form-check-input" id="id_lor" checked>' in html
    assert '<input type="checkbox" name="open_seats" class="form-check-input" id="id_open_seats">' in html
    assert '<input type="month" name="start_month" class="form-control" id="id_start_month">' in html
    assert '<input type="date" name="start_from" class="form-control" id="id_start_from">' in html
    assert '<input type="hidden" name="page_size" class="form-control" id="id_page_size">' in html
    assert '<select name="sort" class="form-select" aria-describedby="id_sort_helptext" id="id_sort">' in html
    assert '<form method="get" action="/rotations/"' in html and 'hx-get="/rotations/"' in html


def test_a_field_in_error_names_its_message_for_screen_readers(client):
    html = client.get(LIST, {"weeks": "abc", "state": "ZZ"}).content.decode()
    assert (
        '<input type="number" name="weeks" value="abc" min="1" max="52" step="1" class="form-control"'
        ' aria-invalid="true" aria-describedby="id_weeks_helptext id_weeks_error" id="id_weeks">'
    ) in html
    assert '<div class="invalid-feedback d-block" id="id_weeks_error">Enter a number.</div>' in html
    assert (
        '<select name="state" class="form-select" aria-invalid="true" aria-describedby="id_state_error"'
        ' id="id_state">'
    ) in html
    assert '<li><label for="id_state">State</label>: Select a valid choice.</li>' in html


def test_a_hostile_title_is_escaped_on_its_card_and_its_page(client):
    catalog_rotation(
        slug="hostile",
        title=HOSTILE,
        description="<b>Bold</b> claims " * 20,
        organization=OrganizationFactory(name="<i>Clinic</i>", city="O'Fallon", state="IL"),
    )
    for response in (client.get(LIST), client.get(LIST, headers={"HX-Request": "true"})):
        html = response.content.decode()
        assert "<script>alert" not in html and "<b>Bold" not in html and "<i>Clinic" not in html
        assert f'<a href="/rotations/hostile/">{HOSTILE_ESCAPED}</a>' in html
        assert "&lt;i&gt;Clinic&lt;/i&gt; · O&#39;Fallon, IL" in html
        # truncatewords: 30 words of the text, escaped, then an ellipsis
        assert "&lt;b&gt;Bold&lt;/b&gt; claims " * 15 + "…</p>" in html
    html = client.get(reverse("rotations:detail", args=["hostile"])).content.decode()
    assert "<script>alert" not in html
    assert f'<h1 class="h3">{HOSTILE_ESCAPED}</h1>' in html
    assert "<title>&lt;script&gt;alert(&quot;x&quot;)" in html  # base.html, a Django template


def test_the_jinja_filters_are_the_django_template_filters():
    filters = engines["jinja2"].env.filters
    assert filters["money"] is amo_forms.money
    assert filters["day"] is catalog.day
    assert filters["rotations_found"] is catalog.rotations_found
    assert filters["pluralize"] is defaultfilters.pluralize
    assert filters["truncatewords"] is defaultfilters.truncatewords
    assert filters["date"] is defaultfilters.date
    values = {"cents": 250_001, "day": date(2027, 3, 2), "n": 2, "text": "one <two> three four"}
    jinja = engines["jinja2"].from_string(
        '{{ cents|money("usd") }}|{{ day|day }}|{{ day|date("M j") }}|{{ n|pluralize }}'
        "|{{ text|truncatewords(3) }}"
    )
    django = Template(
        "{% load amo_forms catalog %}"
        '{{ cents|money:"usd" }}|{{ day|day }}|{{ day|date:"M j" }}|{{ n|pluralize }}'
        "|{{ text|truncatewords:3 }}"
    )
    assert (
        jinja.render(values)
        == django.render(Context(values))
        == "$2,500.01|Mar 2, 2027|Mar 2|s|one &lt;two&gt; three …"
    )


@pytest.mark.parametrize("slug", ["a", "cardiology-externship-2", "x_y-9", "slug"])
def test_slug_url_is_reverse_for_each_slug(slug):
    assert slug_url("rotations:detail")(slug) == reverse("rotations:detail", args=[slug])


def test_querystring_is_djangos_querystring():
    request = RequestFactory().get(LIST, {"q": "a&b", "page": "2", "state": "IL"})
    jinja = engines["jinja2"].from_string("{{ querystring(page=3) }}").render({"request": request})
    django = Template("{% querystring page=3 %}").render(RequestContext(request))
    assert jinja == django == "?q=a%26b&amp;page=3&amp;state=IL"


def test_each_form_gets_its_own_fields_sharing_the_choices_and_validates_as_before():
    first, second = RotationFilter(QueryDict("state=IL")), RotationFilter(QueryDict("state=ZZ"))
    assert type(first.form) is type(second.form)  # one form class per list of specialties
    state = first.form.fields["state"]
    assert state is not second.form.fields["state"] and state.widget is not second.form.fields["state"].widget
    assert state._choices.choices is second.form.fields["state"]._choices.choices
    assert copy.deepcopy(state)._choices.field is not state
    assert first.is_valid() and first.form.cleaned_data["state"] == "IL"
    assert not second.is_valid() and second.form.errors["state"] == ["Select a valid choice."]
    # An instance's filters are its own: setting the specialties left the class's alone.
    assert first.filters["specialty"].extra is not RotationFilter.base_filters["specialty"].extra
    assert "choices" not in RotationFilter.base_filters["specialty"].extra


def test_a_new_specialty_is_offered_and_accepted_by_the_next_form(settings):
    settings.CATALOG_CACHE_SECONDS = 0  # the specialties read straight from the database
    assert not RotationFilter(QueryDict("specialty=sports-medicine")).is_valid()
    SpecialtyFactory(name="Sports Medicine", slug="sports-medicine")
    filterset = RotationFilter(QueryDict("specialty=sports-medicine"))
    assert filterset.is_valid()
    assert ("sports-medicine", "Sports Medicine") in list(filterset.form.fields["specialty"].choices)
    assert '<option value="sports-medicine" selected>Sports Medicine</option>' in str(
        filterset.form["specialty"]
    )
