"""The benchmark's scale data: `seed_scale_catalog(n)` bulk-inserts n published rotations with 4n
blocks under organizations whose slugs start with `bench-`, for `manage.py bench`; kept apart from
the demo, in its own database (`<name>_bench`). Every seat is free: a taken seat would need a
booking behind it (an applicant, an application, a hold), which the catalog's figures do not need.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from hosts.models import Organization, Preceptor
from rotations.models import Block, Rotation
from rotations.search import search_dictionary_refresh
from seeding.catalog import block_rows, organization_rows, preceptor_row, rotation_row, seed_specialties

BENCH_SLUG_PREFIX = "bench-"


def progress_bar(total: int, label: str, stream=sys.stderr) -> Callable[[int], None]:
    """A plain-text progress bar on the terminal: call it with the count done so far."""
    started = time.monotonic()

    def update(done: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        elapsed = time.monotonic() - started
        stream.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} {elapsed:5.1f}s")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return update


def seed_scale_catalog(rotations: int, *, batch: int = 5000, stream=sys.stderr) -> dict[str, int]:
    """Bulk-insert `rotations` published rotations with 4 blocks each, in batches, for benchmarks.

    Every row hangs off organizations whose slug starts with `bench-`, so `scale_catalog_remove()`
    takes them all away. Each batch commits on its own: an interrupted run keeps what it wrote.
    """
    rng = random.Random(100_000)
    run = time.time_ns()  # several scale runs may share a database
    specialties, _ = seed_specialties()
    organization_count = max(rotations // 50, 1)
    orgs = Organization.objects.bulk_create(
        list(
            organization_rows(
                rng, organization_count, slug_prefix=f"{BENCH_SLUG_PREFIX}{run}-", verified_share=1.0
            )
        )
    )
    preceptors = Preceptor.objects.bulk_create(
        [preceptor_row(rng, org, rng.choice(specialties)) for org in orgs]
    )
    today = timezone.localdate()
    update = progress_bar(rotations, "rotations", stream)
    done = 0
    while done < rotations:
        size = min(batch, rotations - done)
        with transaction.atomic():
            rows = []
            for index in range(done, done + size):
                preceptor = preceptors[index % len(preceptors)]
                rows.append(
                    rotation_row(
                        rng,
                        organization=preceptor.organization,
                        specialty=preceptor.specialty,
                        preceptor=preceptor,
                        slug=f"{BENCH_SLUG_PREFIX}{run}-{index}",
                    )
                )
            Rotation.objects.bulk_create(rows, batch_size=size)
            Block.objects.bulk_create(
                [block for rotation in rows for block in block_rows(rng, rotation, 4, today, filled=False)],
                batch_size=size * 4,
            )
        done += size
        update(done)
    search_dictionary_refresh()
    return {"organizations": len(orgs), "rotations": rotations, "blocks": rotations * 4}


def catalog_vacuum_analyze() -> None:
    """Compact the tables after a bulk load and refresh planner statistics (outside a transaction).

    The load writes each rotation twice (inserted, then its block summary by the blocks'
    trigger), which would leave the table half dead rows. VACUUM FULL compacts but leaves the
    visibility map empty, and without it the planner counts the catalog by reading every row
    instead of the index (44 ms instead of 3 ms at 100k): a plain VACUUM after it sets the map.
    """
    with connection.cursor() as cursor:
        for table in ("rotations_rotation", "rotations_block", "hosts_organization", "rotations_search_word"):
            cursor.execute(f"VACUUM (FULL) {table}")
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("CHECKPOINT")  # write the load out now rather than during the measurements


def scale_catalog_count() -> int:
    return Rotation.objects.filter(slug__startswith=BENCH_SLUG_PREFIX).count()


def scale_catalog_remove() -> None:
    """Delete the benchmark's rows (organizations with a bench- slug, and all that hangs off them)."""
    with transaction.atomic():
        organizations = Organization.objects.filter(slug__startswith=BENCH_SLUG_PREFIX)
        Block.objects.filter(rotation__organization__in=organizations).delete()
        Rotation.objects.filter(organization__in=organizations).delete()
        Preceptor.objects.filter(organization__in=organizations).delete()
        organizations.delete()
    search_dictionary_refresh()
