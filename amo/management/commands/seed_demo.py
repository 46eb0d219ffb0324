from amo.audit import AuditedCommand
from seeding.accounts import seed_demo_accounts
from seeding.applicants import seed_demo_applicant
from seeding.bookings import seed_demo_offer
from seeding.catalog import seed_demo_catalog
from seeding.completion import seed_demo_completed
from seeding.host_queue import seed_host_demo
from seeding.letters import seed_demo_letter
from seeding.reviews import seed_demo_reviews
from seeding.trip import seed_demo_bookings
from seeding.verifications import seed_demo_verifications


class Command(AuditedCommand):
    help = "Seed demo data (idempotent: a second run changes nothing). The benchmark's data: seed_bench."

    def handle(self, *args, **options):
        accounts = seed_demo_accounts()
        self.stdout.write(self.style.SUCCESS(f"Demo accounts ready: {', '.join(accounts)}"))
        counts = seed_demo_catalog(coordinator=accounts["host coordinator"])
        self.stdout.write(self.style.SUCCESS(f"Demo catalog ready (created now: {counts})"))
        verified = seed_demo_verifications(staff=accounts["staff"])
        self.stdout.write(self.style.SUCCESS(f"Demo verification records ready (recorded now: {verified})"))
        seed_demo_applicant(user=accounts["applicant"], staff=accounts["staff"])
        self.stdout.write(self.style.SUCCESS("Demo applicant ready: complete profile, verified documents"))
        applications = seed_host_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo review queue ready: {applications} applications"))
        offer = seed_demo_offer()
        if offer is not None:
            self.stdout.write(self.style.SUCCESS(f"Demo offer made: {offer}, to accept or decline"))
        # After the offer and the review queue: those choose among the catalog's blocks, and these
        # bookings' rotations are the demo organization's too.
        for booking in seed_demo_bookings():
            self.stdout.write(
                self.style.SUCCESS(f"Demo booking made: {booking}, {booking.get_status_display()}")
            )
        reviews = seed_demo_reviews()
        self.stdout.write(self.style.SUCCESS(f"Demo reviews ready: {reviews} reviews of completed bookings"))
        completed = seed_demo_completed()
        if completed is not None:
            self.stdout.write(self.style.SUCCESS(f"Demo completed rotation, evaluated: {completed}"))
        # After the bookings: the letter is asked on one of them, of the rotation's preceptor.
        letter = seed_demo_letter()
        if letter is not None:
            self.stdout.write(
                self.style.SUCCESS(f"Demo letter of recommendation: {letter}, {letter.get_status_display()}")
            )
