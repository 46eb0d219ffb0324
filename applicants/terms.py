"""The agreed terms: what an applicant agreed to pay, and to get back on cancelling, as pretix keeps
each order position's price on the position.

The application fee, program fee, deposit, currency, the balance's due rule and the cancellation
policy with its tiers are copied from the rotation onto the application when it is sent (submitted,
waitlisted or booked at once) and again when a date change moves its booking to another block, a
new price the applicant asked for (applicants.services.terms writes them). A date change's terms are
the ones quoted when the applicant asked for it, kept on the request (BlockChange.quoted_terms), not
the target rotation's at the host's approval. Accepting an offer agrees to the terms the application
was sent with, which the offer shows, so nothing is copied then.

Every amount and refund of an application is read from here, never from the rotation's live
fields: a host's later edit changes what new applications agree to only. A draft has agreed to
nothing yet and reads its rotation's terms as they stand.

The balance's due date and the refund windows count back from the block's start date, which cannot
change while the block holds anyone's seat (rotations.services.block_update).
"""

from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from datetime import date, timedelta

from applicants.models import Application, BlockChange
from rotations.models import Block, Rotation
from rotations.policies import TIERS, RefundWindow, Tier, refund_percent, refund_schedule


@dataclass(frozen=True)
class Terms:
    currency: str
    application_fee_cents: int
    program_fee_cents: int
    deposit_cents: int
    balance_due_days_before_start: int
    cancellation_policy: str
    refund_tiers: tuple[Tier, ...]

    @property
    def cancellation_policy_label(self) -> str:
        return str(Rotation.CancellationPolicy(self.cancellation_policy).label)

    def balance_due_on(self, block: Block) -> date:
        """The day the balance of a booking on `block` is due."""
        return block.start_date - timedelta(days=self.balance_due_days_before_start)

    def refund_percent(self, block: Block, *, cancelled_on: date) -> int:
        return refund_percent(self.refund_tiers, start_date=block.start_date, cancelled_on=cancelled_on)

    def refund_schedule(self, block: Block, *, today: date | None = None) -> list[RefundWindow]:
        return refund_schedule(self.refund_tiers, block.start_date, today=today)

    def fields(self) -> dict:
        """The application's model fields that hold these terms."""
        return {
            "currency": self.currency,
            "application_fee_cents": self.application_fee_cents,
            "program_fee_cents": self.program_fee_cents,
            "deposit_cents": self.deposit_cents,
            "balance_due_days_before_start": self.balance_due_days_before_start,
            "cancellation_policy": self.cancellation_policy,
            "refund_tiers": [asdict(tier) for tier in self.refund_tiers],
        }

    @classmethod
    def from_fields(cls, fields: dict) -> "Terms":
        """The terms that fields() wrote, read back from an application's fields or a stored quote."""
        return cls(**{**fields, "refund_tiers": tuple(Tier(**tier) for tier in fields["refund_tiers"])})


def terms_offered(rotation: Rotation) -> Terms:
    """What an application sent to `rotation` now agrees to: its fields and its policy's tiers today."""
    return Terms(
        currency=rotation.currency,
        application_fee_cents=rotation.application_fee_cents,
        program_fee_cents=rotation.program_fee_cents,
        deposit_cents=rotation.deposit_cents,
        balance_due_days_before_start=rotation.balance_due_days_before_start,
        cancellation_policy=rotation.cancellation_policy,
        refund_tiers=TIERS[rotation.cancellation_policy],
    )


def application_terms(application: Application) -> Terms:
    """The terms `application` agreed to; a draft's are its rotation's as they stand."""
    if application.terms_agreed_at is None:
        return terms_offered(application.block.rotation)
    return Terms.from_fields(
        {field.name: getattr(application, field.name) for field in dataclass_fields(Terms)}
    )


def block_change_terms(change: BlockChange) -> Terms:
    """The terms quoted to the applicant when they asked for `change`: what approving it agrees to."""
    return Terms.from_fields(change.quoted_terms)
