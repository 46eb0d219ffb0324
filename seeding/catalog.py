"""The demo catalog for `make run`, and the row generators the benchmark's data shares.

`seed_demo_catalog()` makes 900 rotations over 120 host organizations in 40+ states, 700+ of them
published over 40+ specialties (what the first catalog page promises a newcomer); it is
idempotent (keyed on slugs, and generated from a fixed random seed, so a second run finds every
slug and writes nothing). The benchmark's bulk data is seeding/bench_catalog.py.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from hosts.models import Membership, Organization, Preceptor
from hosts.npi import npi_with_check_digit
from rotations.cache import catalog_changed
from rotations.models import Block, DocumentKind, Rotation, Specialty, VisaType
from rotations.search import search_dictionary_refresh
from seeding.bookings import bookings_behind_taken_seats

SPECIALTIES = [
    "Internal Medicine", "Family Medicine", "Pediatrics", "Psychiatry", "Neurology", "Cardiology",
    "Gastroenterology", "General Surgery", "Obstetrics & Gynecology", "Emergency Medicine", "Radiology",
    "Pathology", "Anesthesiology", "Oncology", "Nephrology", "Pulmonology/Critical Care", "Endocrinology",
    "Infectious Disease", "Rheumatology", "Dermatology", "Ophthalmology", "Orthopedic Surgery", "Urology",
    "Otolaryngology", "Physical Medicine & Rehabilitation", "Geriatric Medicine", "Allergy & Immunology",
    "Hospital Medicine", "Sleep Medicine", "Pain Medicine", "Hematology", "Neonatology",
    "Child & Adolescent Psychiatry", "Neurosurgery", "Cardiothoracic Surgery", "Vascular Surgery",
    "Plastic Surgery", "Pediatric Surgery", "Radiation Oncology", "Interventional Radiology",
    "Nuclear Medicine", "Medical Genetics", "Hospice & Palliative Medicine", "Sports Medicine",
    "Addiction Medicine", "Preventive Medicine",
]  # fmt: skip


@dataclass(frozen=True)
class City:
    name: str
    state: str
    zip_code: str
    latitude: float
    longitude: float


CITIES = [City(*row) for row in [
    ("New York", "NY", "10016", 40.7421, -73.9914), ("Brooklyn", "NY", "11201", 40.6939, -73.9897),
    ("Chicago", "IL", "60611", 41.8955, -87.6217), ("Houston", "TX", "77030", 29.7079, -95.4010),
    ("Dallas", "TX", "75390", 32.8121, -96.8410), ("San Antonio", "TX", "78229", 29.5084, -98.5766),
    ("Los Angeles", "CA", "90033", 34.0622, -118.2040), ("San Diego", "CA", "92103", 32.7511, -117.1661),
    ("Sacramento", "CA", "95817", 38.5537, -121.4553), ("Phoenix", "AZ", "85006", 33.4650, -112.0400),
    ("Philadelphia", "PA", "19104", 39.9496, -75.1932), ("Pittsburgh", "PA", "15213", 40.4427, -79.9590),
    ("Miami", "FL", "33136", 25.7907, -80.2119), ("Tampa", "FL", "33606", 27.9371, -82.4616),
    ("Orlando", "FL", "32806", 28.5255, -81.3790), ("Atlanta", "GA", "30322", 33.7930, -84.3220),
    ("Charlotte", "NC", "28204", 35.2040, -80.8390), ("Durham", "NC", "27710", 36.0070, -78.9370),
    ("Nashville", "TN", "37232", 36.1420, -86.8000), ("Memphis", "TN", "38163", 35.1410, -90.0330),
    ("Detroit", "MI", "48201", 42.3530, -83.0570), ("Ann Arbor", "MI", "48109", 42.2830, -83.7300),
    ("Cleveland", "OH", "44195", 41.5030, -81.6210), ("Columbus", "OH", "43210", 39.9950, -83.0170),
    ("Indianapolis", "IN", "46202", 39.7770, -86.1800), ("Milwaukee", "WI", "53226", 43.0430, -88.0230),
    ("Minneapolis", "MN", "55455", 44.9720, -93.2330), ("St. Louis", "MO", "63110", 38.6350, -90.2640),
    ("Kansas City", "MO", "64108", 39.0840, -94.5770), ("Omaha", "NE", "68198", 41.2550, -95.9780),
    ("Denver", "CO", "80045", 39.7450, -104.8380), ("Salt Lake City", "UT", "84132", 40.7710, -111.8390),
    ("Las Vegas", "NV", "89102", 36.1590, -115.1690), ("Albuquerque", "NM", "87106", 35.0870, -106.6190),
    ("Seattle", "WA", "98104", 47.6040, -122.3230), ("Portland", "OR", "97239", 45.4990, -122.6860),
    ("Boston", "MA", "02114", 42.3630, -71.0690), ("Worcester", "MA", "01655", 42.2770, -71.7610),
    ("New Haven", "CT", "06510", 41.3040, -72.9360), ("Providence", "RI", "02903", 41.8190, -71.4110),
    ("Newark", "NJ", "07103", 40.7400, -74.1900), ("Baltimore", "MD", "21287", 39.2970, -76.5920),
    ("Washington", "DC", "20007", 38.9110, -77.0740), ("Richmond", "VA", "23298", 37.5400, -77.4300),
    ("Louisville", "KY", "40202", 38.2480, -85.7480), ("Birmingham", "AL", "35233", 33.5060, -86.8030),
    ("New Orleans", "LA", "70112", 29.9560, -90.0770), ("Jackson", "MS", "39216", 32.3290, -90.1740),
    ("Little Rock", "AR", "72205", 34.7500, -92.3200), ("Oklahoma City", "OK", "73104", 35.4800, -97.4980),
    ("Wichita", "KS", "67214", 37.7010, -97.3220), ("Des Moines", "IA", "50309", 41.5890, -93.6280),
    ("Charleston", "SC", "29425", 32.7850, -79.9470), ("Honolulu", "HI", "96813", 21.3060, -157.8570),
    ("Anchorage", "AK", "99508", 61.1900, -149.8260), ("Boise", "ID", "83712", 43.6110, -116.1900),
    ("Burlington", "VT", "05401", 44.4800, -73.1940), ("Portland", "ME", "04102", 43.6530, -70.2760),
    ("Manchester", "NH", "03103", 42.9960, -71.4560), ("Fargo", "ND", "58103", 46.8770, -96.7890),
    ("Sioux Falls", "SD", "57105", 43.5340, -96.7440), ("Morgantown", "WV", "26506", 39.6540, -79.9560),
    ("Wilmington", "DE", "19801", 39.7400, -75.5480), ("Billings", "MT", "59101", 45.7830, -108.5060),
]]  # fmt: skip

SAINTS = ["St. Mary's", "St. Luke's", "St. Joseph's", "Mercy", "Good Samaritan", "Providence", "Baptist"]
NATURE = [
    "Lakeshore",
    "Riverside",
    "Northside",
    "Westview",
    "Valley",
    "Parkview",
    "Harbor",
    "Summit",
    "Cedar",
]
FIRST_NAMES = [
    "James", "Maria", "David", "Sarah", "Michael", "Priya", "Robert", "Elena", "William", "Aisha", "John",
    "Mei", "Thomas", "Fatima", "Daniel", "Grace", "Ahmed", "Laura", "Carlos", "Rachel", "Kevin", "Nadia",
]  # fmt: skip
LAST_NAMES = [
    "Patel", "Johnson", "Nguyen", "Williams", "Garcia", "Chen", "Brown", "Okafor", "Miller", "Khan",
    "Davis", "Rodriguez", "Wilson", "Kim", "Anderson", "Shah", "Thompson", "Lopez", "Moore", "Haddad",
]  # fmt: skip

TYPE_WORDS = {
    Rotation.Type.HANDS_ON: ["Externship", "Clerkship", "Hands-on Rotation"],
    Rotation.Type.OBSERVERSHIP: ["Observership", "Clinical Observership"],
    Rotation.Type.RESEARCH: ["Research Rotation", "Clinical Research Fellowship"],
    Rotation.Type.TELEHEALTH: ["Telehealth Rotation", "Virtual Clinical Rotation"],
}
ACTIVITIES = {
    Rotation.Type.HANDS_ON: [
        "You take histories, examine patients, present on rounds and write notes the preceptor co-signs.",
        "You join the team on morning rounds, follow your own patients and take part in procedures.",
        "You manage a panel of patients under supervision and present them at the daily conference.",
    ],
    Rotation.Type.OBSERVERSHIP: [
        "You shadow the attending physician in clinic and on rounds and discuss each case afterwards.",
        "You observe consultations, procedures and multidisciplinary meetings with the care team.",
    ],
    Rotation.Type.RESEARCH: [
        "You join an ongoing clinical study: chart review, data analysis and a manuscript or poster.",
        "You work on a quality-improvement project with the department and present it at the end.",
    ],
    Rotation.Type.TELEHEALTH: [
        "You join video visits with the preceptor, document encounters and discuss management plans.",
        "You take part in remote patient follow-up and virtual case conferences from anywhere.",
    ],
}
SETTING_WORDS = {
    Rotation.Setting.INPATIENT: "inpatient",
    Rotation.Setting.OUTPATIENT: "outpatient",
    Rotation.Setting.MIXED: "inpatient and outpatient",
}
FEES_DOLLARS = {  # program fee range per type
    Rotation.Type.HANDS_ON: (1500, 4500),
    Rotation.Type.OBSERVERSHIP: (800, 2500),
    Rotation.Type.RESEARCH: (1000, 3000),
    Rotation.Type.TELEHEALTH: (400, 1200),
}
LOR_ODDS = {
    Rotation.Type.HANDS_ON: 0.7,
    Rotation.Type.OBSERVERSHIP: 0.4,
    Rotation.Type.RESEARCH: 0.6,
    Rotation.Type.TELEHEALTH: 0.2,
}
STREETS = ["Main Street", "Oak Avenue", "Park Boulevard", "Medical Center Drive", "Lake Street"]
DEMO_ORGANIZATION_SLUG = "lakeshore-medical-center-chicago"


def npi_number(rng: random.Random) -> str:
    """A 10-digit NPI with a valid check digit (hosts.npi)."""
    return npi_with_check_digit(str(rng.randint(1, 2)) + "".join(str(rng.randint(0, 9)) for _ in range(8)))


def _organization_name(rng: random.Random, kind: str, city: City) -> str:
    if kind == Organization.Kind.HOSPITAL:
        return rng.choice(
            [
                f"{city.name} General Hospital",
                f"{rng.choice(SAINTS)} Medical Center",
                f"{city.name} Memorial Hospital",
                f"University Hospital of {city.name}",
                f"{rng.choice(NATURE)} Regional Medical Center",
            ]
        )
    if kind == Organization.Kind.CLINIC:
        return rng.choice(
            [
                f"{city.name} Community Health Center",
                f"{rng.choice(NATURE)} Family Clinic",
                f"{rng.choice(NATURE)} Multispecialty Clinic",
            ]
        )
    if kind == Organization.Kind.PRIVATE_PRACTICE:
        first, second = rng.sample(LAST_NAMES, 2)
        return rng.choice([f"{first} & {second} Medical Associates", f"{first} Physicians Group"])
    return rng.choice(
        [f"{city.name} Institute for Clinical Research", f"{rng.choice(NATURE)} Research Institute"]
    )


def organization_rows(
    rng: random.Random, count: int, slug_prefix: str = "", *, verified_share: float = 0.9
) -> Iterator[Organization]:
    """Organizations spread over every city in CITIES; slugs name the city so they stay unique.

    About `verified_share` of them are verified (the demo organization always is); the others still
    wait for staff, and only verified organizations publish.
    """
    seen: set[str] = set()
    kinds = list(Organization.Kind.values)
    for index in range(count):
        city = CITIES[index % len(CITIES)]
        kind = rng.choices(kinds, weights=[4, 3, 2, 1])[0]
        name = _organization_name(rng, kind, city)
        verified = rng.random() < verified_share
        if index == 0 and not slug_prefix:
            name, kind, city = "Lakeshore Medical Center", Organization.Kind.HOSPITAL, CITIES[2]
            verified = True
        slug = slugify(f"{slug_prefix}{name}-{city.name}")
        if slug in seen:
            slug = f"{slug}-{index}"
        seen.add(slug)
        yield Organization(
            name=name,
            slug=slug,
            kind=kind,
            address_line=f"{rng.randint(10, 2999)} {rng.choice(STREETS)}",
            city=city.name,
            state=city.state,
            zip_code=city.zip_code,
            latitude=round(city.latitude + rng.uniform(-0.05, 0.05), 6),
            longitude=round(city.longitude + rng.uniform(-0.05, 0.05), 6),
            website=f"https://{slug[:40]}.example.org",
            description=f"A {Organization.Kind(kind).label.lower()} in {city.name}, {city.state}, "
            "that welcomes international medical graduates.",
            is_verified=verified,
            commission_rate_bps=rng.choice([1000, 1200, 1500, 1500, 1800]),
        )


def preceptor_row(rng: random.Random, organization: Organization, specialty: Specialty) -> Preceptor:
    return Preceptor(
        organization=organization,
        full_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        credentials=rng.choice([Preceptor.Credentials.MD] * 3 + [Preceptor.Credentials.DO]),
        board_certification=f"Board certified in {specialty.name}",
        specialty=specialty,
        npi_number=npi_number(rng),
    )


def rotation_row(
    rng: random.Random,
    *,
    organization: Organization,
    specialty: Specialty,
    preceptor: Preceptor | None,
    slug: str,
    status: str = Rotation.Status.PUBLISHED,
) -> Rotation:
    rotation_type = rng.choices(list(TYPE_WORDS), weights=[5, 3, 1, 1])[0]
    setting = rng.choice(list(SETTING_WORDS))
    if rotation_type == Rotation.Type.TELEHEALTH:
        setting = Rotation.Setting.OUTPATIENT
    title = f"{specialty.name} {rng.choice(TYPE_WORDS[rotation_type])}"
    if rng.random() < 0.4:
        title = f"{SETTING_WORDS[setting].capitalize()} {title}"
    low, high = FEES_DOLLARS[rotation_type]
    program_fee = rng.randrange(low, high + 1, 50) * 100
    visas = [VisaType.B1_B2, VisaType.F1, VisaType.J1, VisaType.NONE_NEEDED]
    accepted_visas = [] if rng.random() < 0.35 else sorted(rng.sample(visas, rng.randint(1, 3)))
    accepts_students = rng.random() < 0.8
    documents = [DocumentKind.CV, DocumentKind.PASSPORT]
    requires_step1 = rotation_type == Rotation.Type.HANDS_ON and rng.random() < 0.7
    if requires_step1:
        documents.append(DocumentKind.USMLE_SCORE_REPORT)
    if rotation_type in (Rotation.Type.HANDS_ON, Rotation.Type.OBSERVERSHIP):
        documents += [DocumentKind.IMMUNIZATION_RECORD, DocumentKind.TB_TEST, DocumentKind.HEALTH_INSURANCE]
    if rotation_type == Rotation.Type.HANDS_ON and rng.random() < 0.5:
        documents += [DocumentKind.BLS_CERTIFICATE, DocumentKind.BACKGROUND_CHECK]
    description = (
        f"Join the {specialty.name} team at {organization.name} in {organization.city}, "
        f"{organization.state}, "
        f"for an {SETTING_WORDS[setting]} {rng.choice(TYPE_WORDS[rotation_type]).lower()}. "
        f"{rng.choice(ACTIVITIES[rotation_type])} "
        + rng.choice(
            [
                "Ideal for applicants preparing for the Match who want U.S. clinical experience.",
                "Teaching sessions each week cover common presentations and evidence-based management.",
                "The service sees a diverse patient population from the city and surrounding counties.",
                "Applicants receive feedback at mid-rotation and a written evaluation at the end.",
            ]
        )
    )
    now = timezone.now()
    return Rotation(
        organization=organization,
        preceptor=preceptor,
        specialty=specialty,
        title=title,
        slug=slug,
        rotation_type=rotation_type,
        setting=setting,
        description=description,
        accepts_students=accepts_students,
        accepts_graduates=not accepts_students or rng.random() < 0.85,
        requires_step1_pass=requires_step1,
        min_step2_score=rng.choice([None, None, None, 220, 230, 240]) if requires_step1 else None,
        accepted_visa_types=accepted_visas,
        requires_english_proficiency=rng.random() < 0.5,
        required_document_kinds=documents,
        offers_lor=rng.random() < LOR_ODDS[rotation_type],
        application_fee_cents=rng.choice([0, 50, 75, 100, 150, 200, 250]) * 100,
        program_fee_cents=program_fee,
        deposit_cents=program_fee * rng.choice([20, 25, 30]) // 100 // 5000 * 5000,
        balance_due_days_before_start=rng.choice([45, 45, 45, 30, 60]),
        cancellation_policy=rng.choice(list(Rotation.CancellationPolicy.values)),
        weekly_hours=rng.choice([20, 30, 40, 40, 50, 60])
        if rotation_type != Rotation.Type.TELEHEALTH
        else 20,
        booking_mode=rng.choice([Rotation.BookingMode.HOST_REVIEW] * 3 + [Rotation.BookingMode.BOOK_NOW]),
        status=status,
        published_at=now - timedelta(days=rng.randint(0, 365)) if status != Rotation.Status.DRAFT else None,
    )


def block_rows(
    rng: random.Random, rotation: Rotation, count: int, today: date, *, filled: bool = True
) -> list[Block]:
    """`count` blocks starting on Mondays over the coming 12 months; about one in ten is full.

    `filled` gives seats a random fill, for organizations nobody signs in to: the caller must put a
    booking behind each (seeding.bookings.bookings_behind_taken_seats), as a seat is taken only by a
    hold. Without it every seat is free.
    """
    blocks = []
    first_monday = today + timedelta(days=(7 - today.weekday()) % 7)
    for week in sorted(rng.sample(range(2, 52), count)):
        start = first_monday + timedelta(weeks=week)
        capacity = rng.randint(1, 6)
        taken = capacity if rng.random() < 0.1 else rng.randint(0, capacity - 1)
        taken = taken if filled else 0
        blocks.append(
            Block(
                rotation=rotation,
                start_date=start,
                weeks=rng.choices([4, 2, 3, 6, 8], weights=[12, 2, 2, 2, 1])[0],
                capacity=capacity,
                seats_taken=taken,
                apply_by=start - timedelta(days=rng.choice([21, 30, 45])),
            )
        )
    return blocks


def seed_specialties() -> tuple[list[Specialty], int]:
    """The specialties of SPECIALTIES, and how many of them this call created."""
    existing = set(Specialty.objects.values_list("slug", flat=True))
    created = Specialty.objects.bulk_create(
        [Specialty(name=name, slug=slugify(name)) for name in SPECIALTIES if slugify(name) not in existing]
    )
    catalog_changed()
    specialties = Specialty.objects.filter(slug__in=[slugify(name) for name in SPECIALTIES]).order_by("pk")
    return list(specialties), len(created)


# What the demo catalog bulk-inserts; see statistics_refresh.
BULK_LOADED_TABLES = (
    "amo_user",
    "hosts_organization",
    "hosts_preceptor",
    "rotations_rotation",
    "rotations_block",
    "applicants_applicant",
    "applicants_application",
    "rotations_seathold",
)


def statistics_refresh() -> None:
    """ANALYZE the tables a bulk load filled, as PostgreSQL's docs advise after one: until
    autovacuum gets to them, the planner may still believe them empty (a fresh database, or one
    whose tables were truncated) and join thousands of rows by scanning them inside one another,
    which turns a lookup by primary key into minutes."""
    with connection.cursor() as cursor:
        for table in BULK_LOADED_TABLES:
            cursor.execute(f"ANALYZE {table}")


@transaction.atomic
def seed_demo_catalog(*, coordinator=None, organizations: int = 120, rotations: int = 900) -> dict[str, int]:
    """The demo catalog; returns how many rows of each kind it created (all zero on a second run)."""
    rng = random.Random(2026)
    specialties, new_specialties = seed_specialties()
    candidates = list(organization_rows(rng, organizations))
    existing = set(
        Organization.objects.filter(slug__in=[o.slug for o in candidates]).values_list("slug", flat=True)
    )
    new_organizations = Organization.objects.bulk_create([o for o in candidates if o.slug not in existing])
    orgs = list(Organization.objects.filter(slug__in=[o.slug for o in candidates]).order_by("pk"))

    cardiology = next(specialty for specialty in specialties if specialty.slug == "cardiology")
    preceptor_rows = []
    for org in new_organizations:
        for number in range(rng.randint(2, 4)):
            specialty = rng.choice(specialties)
            if org.slug == DEMO_ORGANIZATION_SLUG and number == 0:
                specialty = cardiology  # for the demo organization's first rotation, below
            preceptor_rows.append(preceptor_row(rng, org, specialty))
    new_preceptors = Preceptor.objects.bulk_create(preceptor_rows)
    preceptors_by_org: dict[int, list[Preceptor]] = {}
    for preceptor in Preceptor.objects.filter(organization__in=orgs).order_by("pk"):
        preceptors_by_org.setdefault(preceptor.organization_id, []).append(preceptor)

    existing_slugs = set(Rotation.objects.filter(organization__in=orgs).values_list("slug", flat=True))
    today = timezone.localdate()
    new_rotations, blocks = [], []
    for index in range(rotations):
        # The demo coordinator's organization (the first) gets a handful; the rest spread out.
        org = orgs[0] if index < 6 else orgs[index % len(orgs)]
        # One generator per rotation: its slug is the same on every run, whatever else was created.
        rng = random.Random(f"demo-rotation-{index}")
        preceptors = preceptors_by_org.get(org.pk, [])
        preceptor = rng.choice(preceptors) if preceptors else None
        status = rng.choices(list(Rotation.Status.values), weights=[5, 92, 3])[0]
        if index == 0:
            # A published cardiology rotation in Chicago, taught by the demo organization's
            # cardiologist: what the catalog docs' typo example ("cardiolgy chicgo") finds.
            preceptor, status = preceptors[0], Rotation.Status.PUBLISHED
        # The preceptor supervises in their own specialty.
        specialty = preceptor.specialty if preceptor else rng.choice(specialties)
        if not org.is_verified and status == Rotation.Status.PUBLISHED:
            status = Rotation.Status.DRAFT  # only verified organizations publish
        rotation = rotation_row(
            rng, organization=org, specialty=specialty, preceptor=preceptor, slug="", status=status
        )
        rotation.slug = slugify(f"{rotation.title}-{org.slug}")[:230] + f"-{index}"
        if rotation.slug in existing_slugs:
            continue
        new_rotations.append(rotation)
        # The demo coordinator sees their roster: there, seats are taken only through real offers.
        filled = org.slug != DEMO_ORGANIZATION_SLUG
        blocks += block_rows(rng, rotation, rng.randint(1, 5), today, filled=filled)
    Rotation.objects.bulk_create(new_rotations)
    Block.objects.bulk_create(blocks)
    # A taken seat is a hold: each one the blocks count gets its booking.
    bookings = bookings_behind_taken_seats(blocks)

    memberships = 0
    if coordinator is not None:
        _, created = Membership.objects.get_or_create(
            organization=orgs[0], user=coordinator, defaults={"role": Membership.Role.COORDINATOR}
        )
        memberships = int(created)
    if new_rotations:
        search_dictionary_refresh()
        statistics_refresh()
    return {
        "specialties": new_specialties,
        "organizations": len(new_organizations),
        "preceptors": len(new_preceptors),
        "rotations": len(new_rotations),
        "blocks": len(blocks),
        "bookings": bookings,
        "memberships": memberships,
    }
