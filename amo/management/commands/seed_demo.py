from django.core.management.base import BaseCommand

from amo.demo import seed_demo_accounts


class Command(BaseCommand):
    help = "Seed demo data (idempotent: a second run changes nothing)."

    def handle(self, *args, **options):
        accounts = seed_demo_accounts()
        self.stdout.write(self.style.SUCCESS(f"Demo accounts ready: {', '.join(accounts)}"))
