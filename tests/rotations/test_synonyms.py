"""The words people type: synonyms staff edit, states by name, letters of recommendation, stop words.

Each search is asked of the page and of the API alike: they share one filter definition, and both
must find the same rotations.
"""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from rotations.models import Rotation, SearchSynonym
from rotations.search import search_dictionary_refresh, spell_correct
from rotations.synonyms import SEED_SYNONYMS, synonyms_seed
from tests.factories import OrganizationFactory, SpecialtyFactory, StaffFactory, catalog_rotation

pytestmark = pytest.mark.django_db
LIST = "/rotations/"
API = "/api/v1/rotations/"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def catalog():
    """Rotations as the demo catalog words them, in states whose codes include stop words (IN,
    OR, ME); descriptions name no place, so a state is found through the host alone."""
    synonyms_seed(SearchSynonym)  # the migration's rows, gone if a transactional test flushed them
    rows = [
        ("tx-obgyn", "Obstetrics & Gynecology Externship", "Obstetrics & Gynecology", "Houston", "TX", True),
        ("tx-cards", "Cardiology Observership", "Cardiology", "Dallas", "TX", False),
        ("ca-peds", "Pediatrics Observership", "Pediatrics", "Los Angeles", "CA", False),
        ("ny-ent", "Otolaryngology Clerkship", "Otolaryngology", "New York", "NY", True),
        ("il-im", "Internal Medicine Externship", "Internal Medicine", "Chicago", "IL", False),
        ("in-cards", "Cardiology Externship", "Cardiology", "Indianapolis", "IN", False),
        (
            "or-pulm",
            "Pulmonology/Critical Care Rotation",
            "Pulmonology/Critical Care",
            "Portland",
            "OR",
            False,
        ),
        ("me-fm", "Family Medicine Observership", "Family Medicine", "Portland", "ME", False),
    ]
    for slug, title, specialty, city, state, lor in rows:
        catalog_rotation(
            slug=slug,
            title=title,
            specialty=SpecialtyFactory(name=specialty),
            organization=OrganizationFactory(name=f"{slug} Health", city=city, state=state),
            description="Four weeks with the team, with daily teaching.",
            offers_lor=lor,
        )
    search_dictionary_refresh()
    return {slug for slug, *_ in rows}


def on_page(client, q: str, **filters) -> set[str]:
    response = client.get(LIST, {"q": q, **filters}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return set(re.findall(r'href="/rotations/([\w-]+)/"', response.content.decode()))


def in_api(api, q: str, **filters) -> set[str]:
    response = api.get(API, {"q": q, **filters})
    assert response.status_code == 200, response.json()
    return {row["slug"] for row in response.json()["results"]}


def found(client, api, q: str, **filters) -> set[str]:
    page, listed = on_page(client, q, **filters), in_api(api, q, **filters)
    assert page == listed, f"{q!r}: the page found {page}, the API {listed}"
    return page


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # The words the search was asked to understand.
        ("texas", {"tx-obgyn", "tx-cards"}),
        ("california", {"ca-peds"}),
        ("OB/GYN", {"tx-obgyn"}),
        ("peds", {"ca-peds"}),
        ("ENT", {"ny-ent"}),
        ("IM", {"il-im"}),
        ("NYC", {"ny-ent"}),
        ("letter of recommendation", {"tx-obgyn", "ny-ent"}),
        # A state by code or by name, alone or with other words; codes that are English words.
        ("TX", {"tx-obgyn", "tx-cards"}),
        ("cardiology texas", {"tx-cards"}),
        ("Cardiology in Texas", {"tx-cards"}),
        ("indiana", {"in-cards"}),
        ("oregon", {"or-pulm"}),
        ("maine", {"me-fm"}),
        ("new york", {"ny-ent"}),
        # More of each kind: spelling variants, multi-word terms matched as phrases, nicknames.
        ("obgyn", {"tx-obgyn"}),
        ("ob-gyn houston", {"tx-obgyn"}),
        ("paediatrics", {"ca-peds"}),
        ("ear nose and throat", {"ny-ent"}),
        ("new york city", {"ny-ent"}),
        ("Chi-town", {"il-im"}),
        ("LA", {"ca-peds"}),
        ("cards", {"tx-cards", "in-cards"}),
        ("LoR", {"tx-obgyn", "ny-ent"}),
        ("letters of recommendation texas", {"tx-obgyn"}),
        ("leter of recomendation", {"tx-obgyn", "ny-ent"}),  # typos of the words a synonym knows
        ("FM", {"me-fm"}),
        # Punctuation inside a catalog word splits it, as it does in a query.
        ("pulmonology", {"or-pulm"}),
        ("critical care", {"or-pulm"}),
    ],
)
def test_the_words_people_type_find_the_rotations_they_mean_on_the_page_and_the_api(
    client, api, catalog, q, expected
):
    assert found(client, api, q) == expected


def test_a_synonym_only_widens_a_search_the_word_typed_still_counts(client, api, catalog):
    """ "la" is Louisiana's code as well as Los Angeles: both are found."""
    catalog_rotation(
        slug="la-em",
        title="Emergency Medicine Externship",
        organization=OrganizationFactory(name="Bayou Hospital", city="New Orleans", state="LA"),
    )
    assert found(client, api, "LA") == {"ca-peds", "la-em"}


@pytest.mark.parametrize("q", ["the", "of and", "IN", " , the ;"])
def test_a_search_of_stop_words_alone_lists_every_rotation_and_says_why(
    client, api, catalog, q, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        body = api.get(API, {"q": q, "page_size": 50}).json()
    assert body["count"] == len(catalog) and body["corrected_query"] == ""
    assert {row["slug"] for row in body["results"]} == catalog
    with django_assert_max_num_queries(5):
        page = client.get(LIST, {"q": q}).content.decode()
    assert "has only words too common to search for" in page
    assert "Showing results for" not in page
    assert found(client, api, q, state="TX") == {"tx-obgyn", "tx-cards"}  # the filters still apply


def test_a_search_with_real_words_never_says_they_were_too_common(client, api, catalog):
    assert "too common" not in client.get(LIST, {"q": "the cardiology"}).content.decode()
    assert api.get(API, {"q": "the cardiology"}).json()["corrected_query"] is None


@pytest.mark.parametrize("q", ["peds", "texas", "OB/GYN", "letter of recommendation", "the", "cardiolgy"])
def test_synonyms_and_stop_words_cost_no_query_of_their_own(
    client, api, catalog, q, django_assert_max_num_queries
):
    """Specialties (for the form), the parse (corrections, synonyms, stop words; apart, so that the
    search's statements carry its tsquery as a literal the planner can size up), the count with the
    page's ids, the page, the page's blocks."""
    with django_assert_max_num_queries(5):
        assert client.get(LIST, {"q": q}).status_code == 200
    with django_assert_max_num_queries(5):
        assert api.get(API, {"q": q}).status_code == 200


def test_staff_edit_synonyms_in_the_admin_and_the_next_search_uses_them(
    client, api, catalog, django_capture_on_commit_callbacks
):
    """The anonymous API list is cached (rotations.cache): each admin edit, once committed, drops it."""
    client.force_login(StaffFactory())
    assert found(client, api, "kiddos") == set()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:rotations_searchsynonym_add"), {"term": "Kiddos!", "expands_to": "Pediatrics"}
        )
    assert response.status_code == 302
    synonym = SearchSynonym.objects.get(term="kiddos")  # stored as the search reads a query
    assert synonym.expands_to == "pediatrics"
    assert found(client, api, "kiddos") == {"ca-peds"}

    change = reverse("admin:rotations_searchsynonym_change", args=[synonym.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change, {"term": "kiddos", "expands_to": "cardiology, family medicine"})
    assert response.status_code == 302
    assert found(client, api, "kiddos") == {"tx-cards", "in-cards", "me-fm"}

    delete = reverse("admin:rotations_searchsynonym_delete", args=[synonym.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(delete, {"post": "yes"}).status_code == 302
    assert found(client, api, "kiddos") == set()


def test_a_new_synonym_term_is_never_corrected_into_a_catalog_word(client, api, catalog):
    """Known at once, before the daily refresh adds its words to the typo dictionary."""
    assert spell_correct("rotación") == "rotation"  # a typo of the title word, so far
    client.force_login(StaffFactory())
    client.post(reverse("admin:rotations_searchsynonym_add"), {"term": "rotación", "expands_to": "clerkship"})
    assert spell_correct("rotación") == "rotacion"
    assert found(client, api, "rotación") == {"ny-ent"}


def test_a_real_word_is_not_corrected_into_a_synonym_term(catalog):
    """Short terms are not in the typo dictionary: "call" would be one edit from "cali"."""
    assert spell_correct("call schedule") == "call schedule"


@pytest.mark.parametrize(
    ("term", "expands_to", "field"),
    [
        ("The", "pediatrics", "term"),  # "in" → "indiana" would turn "cardiology in chicago" into nothing
        ("of and", "pediatrics", "term"),
        ("kiddos", "pediatrics, of", "expands_to"),
        ("kiddos", "pediatrics,", "expands_to"),
        ("PEDS", "pediatrics", "term"),  # "peds" exists: terms are unique as the search reads them
        ("!!", "pediatrics", "term"),
    ],
)
def test_the_admin_refuses_a_synonym_the_search_could_not_use(client, catalog, term, expands_to, field):
    client.force_login(StaffFactory())
    before = SearchSynonym.objects.count()
    response = client.post(
        reverse("admin:rotations_searchsynonym_add"), {"term": term, "expands_to": expands_to}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert SearchSynonym.objects.count() == before


def test_staff_find_synonyms_in_the_admin_by_term_or_expansion(client, catalog):
    client.force_login(StaffFactory())
    page = client.get(
        reverse("admin:rotations_searchsynonym_changelist"), {"q": "pediatrics"}
    ).content.decode()
    assert "peds" in page and "paeds" in page and "nyc" not in page


def test_the_seed_speaks_the_words_of_the_issue_and_every_row_is_stored_as_searched():
    synonyms_seed(SearchSynonym)
    terms = set(SearchSynonym.objects.values_list("term", flat=True))
    assert {"ob gyn", "peds", "ent", "im", "nyc", "lor", "em", "fm", "psych", "gen surg", "cards"} <= terms
    assert {"neuro", "derm", "la", "sf", "philly", "chi town", "new york city"} <= terms
    for synonym in SearchSynonym.objects.filter(term__in=SEED_SYNONYMS):
        stored = (synonym.term, synonym.expands_to)
        synonym.full_clean()
        assert (synonym.term, synonym.expands_to) == stored


def test_a_rotation_is_found_by_its_letter_of_recommendation_and_its_state_as_they_change(
    client, api, catalog
):
    rotation = Rotation.objects.get(slug="ca-peds")
    Rotation.objects.filter(pk=rotation.pk).update(offers_lor=True)
    assert found(client, api, "lor") == {"tx-obgyn", "ny-ent", "ca-peds"}
    rotation.organization.state = "NV"
    rotation.organization.save()
    assert found(client, api, "nevada") == {"ca-peds"}
    assert found(client, api, "california") == set()
