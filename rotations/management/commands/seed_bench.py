from django.core.management.base import CommandError

from amo.audit import AuditedCommand
from seeding.bench_catalog import catalog_vacuum_analyze, scale_catalog_remove, seed_scale_catalog


class Command(AuditedCommand):
    help = (
        "Bulk-insert N published rotations and 4N blocks for benchmarks (organizations slugged "
        "bench-…), or --remove them. `manage.py bench` does this in its own database."
    )

    def add_arguments(self, parser):
        parser.add_argument("rotations", type=int, nargs="?", metavar="N", help="rotations to insert")
        parser.add_argument(
            "--remove", action="store_true", help="delete the rows it inserted, and nothing else"
        )

    def handle(self, *args, rotations=None, remove=False, **options):
        if remove:
            scale_catalog_remove()
            self.stdout.write(self.style.SUCCESS("Benchmark rows removed."))
            return
        if rotations is None or rotations < 1:
            raise CommandError("Give a positive number of rotations, e.g. `manage.py seed_bench 100000`.")
        counts = seed_scale_catalog(rotations, stream=self.stderr._out)
        catalog_vacuum_analyze()
        self.stdout.write(self.style.SUCCESS(f"Benchmark catalog inserted: {counts}"))
