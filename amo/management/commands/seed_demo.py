from django.core.management.base import BaseCommand, CommandError

from amo.demo import seed_demo_accounts
from applicants.demo import seed_demo_applicant
from hosts.demo import seed_host_demo
from rotations.demo import catalog_vacuum_analyze, scale_catalog_remove, seed_demo_catalog, seed_scale_catalog


class Command(BaseCommand):
    help = (
        "Seed demo data (idempotent: a second run changes nothing). With --scale N, bulk-insert N "
        "published rotations and 4N blocks for benchmarks instead (organizations slugged bench-…)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, metavar="N", help="bulk-insert N rotations and 4N blocks")
        parser.add_argument(
            "--remove-scale",
            action="store_true",
            help="delete the rows a --scale run inserted, and nothing else",
        )

    def handle(self, *args, scale=None, remove_scale=False, **options):
        if remove_scale:
            scale_catalog_remove()
            self.stdout.write(self.style.SUCCESS("Benchmark rows removed."))
            return
        if scale is not None:
            if scale < 1:
                raise CommandError("--scale must be a positive number of rotations.")
            counts = seed_scale_catalog(scale, stream=self.stderr._out)
            catalog_vacuum_analyze()
            self.stdout.write(self.style.SUCCESS(f"Benchmark catalog inserted: {counts}"))
            return
        accounts = seed_demo_accounts()
        self.stdout.write(self.style.SUCCESS(f"Demo accounts ready: {', '.join(accounts)}"))
        counts = seed_demo_catalog(coordinator=accounts["host coordinator"])
        self.stdout.write(self.style.SUCCESS(f"Demo catalog ready (created now: {counts})"))
        seed_demo_applicant(user=accounts["applicant"], staff=accounts["staff"])
        self.stdout.write(self.style.SUCCESS("Demo applicant ready: complete profile, verified documents"))
        applications = seed_host_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo review queue ready: {applications} applications"))
