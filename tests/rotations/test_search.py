"""Full-text search: what it finds, typo tolerance, and the database keeping the index right."""

from datetime import date, timedelta

import pytest
from django.db import connection

from hosts.models import Organization
from rotations.models import Block, Rotation, Specialty
from rotations.search import next_start_dates_refresh, search_dictionary_refresh, spell_correct
from rotations.selectors import rotation_catalog
from rotations.states import US_STATES
from tests.factories import (
    BlockFactory,
    OrganizationFactory,
    RotationFactory,
    SpecialtyFactory,
    catalog_rotation,
)

pytestmark = pytest.mark.django_db


def found(q: str) -> set[str]:
    return set(rotation_catalog(q=q).values_list("slug", flat=True))


@pytest.fixture
def catalog():
    cardiology = SpecialtyFactory(name="Cardiology")
    houston = OrganizationFactory(name="Bayou Heart Institute", city="Houston", state="TX")
    rotations = {
        "title": catalog_rotation(title="Echocardiography Observership", slug="echo", specialty=cardiology),
        "description": catalog_rotation(
            title="Clinical Externship",
            slug="desc",
            description="Daily rounds on the dermatology consult service.",
        ),
        "city": catalog_rotation(title="Clinic Rotation", slug="city", organization=houston),
        "organization": catalog_rotation(
            title="Research Rotation",
            slug="org",
            organization=OrganizationFactory(name="Wexford Pediatric Associates", city="Boise", state="ID"),
        ),
    }
    search_dictionary_refresh()
    return rotations


def test_search_finds_by_words_in_title_description_city_organization_and_specialty(catalog):
    assert found("echocardiography") == {"echo"}
    assert found("dermatology") == {"desc"}
    assert found("Houston") == {"city"}
    assert found("Wexford") == {"org"}
    assert found("cardiology") == {"echo"}


def test_search_matches_word_forms_and_every_word_of_the_query(catalog):
    assert found("observerships") == {"echo"}
    assert found("research wexford") == {"org"}
    assert found("research houston") == set()


@pytest.mark.parametrize(
    ("typo", "slug"),
    [("echocardiografy", "echo"), ("dermatolgy", "desc"), ("Huston", "city"), ("Wexferd", "org")],
)
def test_search_survives_a_one_letter_typo(catalog, typo, slug):
    assert found(typo) == {slug}


def test_a_real_word_absent_from_the_catalog_is_not_turned_into_another(catalog):
    RotationFactory(title="Community Health Rotation", slug="health")
    search_dictionary_refresh()
    assert spell_correct("heart") == "heart"
    assert "health" not in found("heart")


def test_a_word_is_corrected_only_when_it_is_not_a_known_word_and_only_for_a_typo():
    catalog_rotation(
        slug="research",
        title="Clinical Research Fellowship",
        description="Chart review with the team, ending in a manuscript.",
        organization=OrganizationFactory(name="Circle Clinic", city="Indianapolis", state="IN"),
    )
    search_dictionary_refresh()
    # A real word is not a typo of a longer catalog word that contains it.
    assert spell_correct("script") == "script"
    assert found("script") == set()
    assert spell_correct("indiana") == "indiana"
    assert found("indiana") == {"research"}  # the host's state, by name
    # Known words: another form of a catalog word (the search stems it), stop words.
    assert spell_correct("manuscripts reviewed") == "manuscripts reviewed"
    assert spell_correct("with their") == "with their"
    # A typo is still corrected, into the catalog word one or two edits away.
    assert spell_correct("manuscrpt fellowshp") == "manuscript fellowship"
    assert found("manuscrpt") == {"research"}


def test_the_search_knows_every_state_the_state_filter_offers():
    with connection.cursor() as cursor:
        cursor.execute("SELECT code, name FROM rotations_us_state()")
        assert cursor.fetchall() == US_STATES


def test_search_folds_accents_both_ways():
    catalog_rotation(slug="accent", description="Partnership with the Hospital São Paulo residency program.")
    assert found("sao paulo") == {"accent"}
    assert found("São") == {"accent"}


def test_a_title_match_ranks_above_a_description_match():
    catalog_rotation(
        title="General Clinic", slug="in-description", description="Includes a nephrology block."
    )
    catalog_rotation(title="Nephrology Externship", slug="in-title", description="Four weeks on the wards.")
    assert list(rotation_catalog(q="nephrology").values_list("slug", flat=True)) == [
        "in-title",
        "in-description",
    ]


def test_unpublished_rotations_are_never_found():
    catalog_rotation(title="Hidden Draft Rotation", slug="draft", status=Rotation.Status.DRAFT)
    catalog_rotation(title="Hidden Archived Rotation", slug="archived", status=Rotation.Status.ARCHIVED)
    assert found("hidden") == set()
    assert not rotation_catalog().exists()


def test_the_database_keeps_the_search_vector_when_rows_are_bulk_created():
    org, specialty = OrganizationFactory(city="Tulsa"), SpecialtyFactory(name="Urology")
    Rotation.objects.bulk_create(
        [
            Rotation(
                organization=org,
                specialty=specialty,
                title="Bulk Rotation",
                slug="bulk",
                rotation_type=Rotation.Type.HANDS_ON,
                setting=Rotation.Setting.INPATIENT,
                description="Written without Django's save().",
                status=Rotation.Status.PUBLISHED,
            )
        ]
    )
    assert found("tulsa urology") == {"bulk"}


def test_renaming_an_organization_or_specialty_updates_its_rotations_search():
    rotation = catalog_rotation(slug="renamed")
    Organization.objects.filter(pk=rotation.organization_id).update(name="Zephyrhills Clinic")
    Specialty.objects.filter(pk=rotation.specialty_id).update(name="Otolaryngology")
    assert found("zephyrhills otolaryngology") == {"renamed"}


def test_saving_a_stale_copy_does_not_bring_back_an_old_organization_name():
    rotation = catalog_rotation(slug="stale")
    stale = Rotation.objects.get(pk=rotation.pk)
    Organization.objects.filter(pk=rotation.organization_id).update(name="Quillfeather Hospital")
    stale.weekly_hours = 30
    stale.save()
    assert found("quillfeather") == {"stale"}


def test_next_start_date_is_the_earliest_block_open_to_applications_whoever_writes_blocks():
    today = date.today()
    rotation = catalog_rotation(blocks=[{"days_ahead": 60}, {"days_ahead": 120}])
    BlockFactory(
        rotation=rotation, start_date=today - timedelta(days=10), apply_by=today - timedelta(days=40)
    )

    def next_start():
        return Rotation.objects.values_list("next_start_date", flat=True).get(pk=rotation.pk)

    assert next_start() == today + timedelta(days=60)
    first = rotation.blocks.get(start_date=today + timedelta(days=60))
    Block.objects.filter(pk=first.pk).update(start_date=today + timedelta(days=200))
    assert next_start() == today + timedelta(days=120)
    Block.objects.filter(rotation=rotation, start_date__gte=today).delete()
    assert next_start() is None


def test_the_daily_sweep_moves_next_start_date_past_blocks_that_have_started():
    today = date.today()
    rotation = catalog_rotation(blocks=[{"days_ahead": 90}])
    BlockFactory(rotation=rotation, start_date=today - timedelta(days=1), apply_by=today - timedelta(days=20))
    # What a stored date looks like the morning after its block started (the trigger is switched
    # off to write it, since the database never computes a past date itself).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE rotations_rotation SET next_start_date = %s WHERE id = %s",
            [today - timedelta(days=1), rotation.pk],
        )
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    assert next_start_dates_refresh() == 1
    assert Rotation.objects.get(pk=rotation.pk).next_start_date == today + timedelta(days=90)
    assert next_start_dates_refresh() == 0


def test_the_daily_catalog_refresh_adds_new_words_to_the_typo_dictionary():
    from rotations.tasks import catalog_refresh

    catalog_rotation(slug="new", title="Hyperbaric Medicine Observership")
    assert spell_correct("hyperbaric") == "hyperbaric"
    assert spell_correct("hyperbaryc") == "hyperbaryc"  # not yet known: left as typed
    catalog_refresh()
    assert spell_correct("hyperbaryc") == "hyperbaric"
    assert found("hyperbaryc") == {"new"}


def test_open_seats_follows_seats_taken_and_given_back_through_the_services():
    from rotations.services import block_change_capacity
    from tests.factories import free_seat, take_seat

    rotation = catalog_rotation(slug="one-seat", blocks=[{"days_ahead": 60, "capacity": 1}])
    block = rotation.blocks.get()

    def listed() -> bool:
        return rotation_catalog(open_seats=True).filter(pk=rotation.pk).exists()

    assert listed()
    take_seat(block)
    assert not listed()
    block_change_capacity(block_id=block.pk, capacity=2)
    assert listed()
    block_change_capacity(block_id=block.pk, capacity=1)
    free_seat(block)
    assert listed()


def test_the_search_index_holds_published_rotations_alone():
    """Only the catalog searches the vector; a partial index lets counting skip each row's status."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'rotations_rotation' AND indexdef ~ 'gin'"
        )
        definitions = [definition for (definition,) in cursor.fetchall()]
    assert definitions == [
        "CREATE INDEX rotation_search_gin ON public.rotations_rotation USING gin (search_vector)"
        " WHERE ((status)::text = 'published'::text)"
    ]
