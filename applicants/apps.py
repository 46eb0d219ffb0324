from django.apps import AppConfig


class ApplicantsConfig(AppConfig):
    name = "applicants"
    verbose_name = "Applicants"

    def ready(self) -> None:
        # Payments report what Stripe said through this one hand-off; the booking code decides.
        from amo.reminders import reminder_kind_register
        from applicants.letter_reminders import RENDERERS as LETTER_RENDERERS
        from applicants.reminders import RENDERERS
        from applicants.services.payment_handoff import balance_deadline_set, balance_unpaid, payment_received
        from payments.handoff import BookingReceiver, booking_receiver_register

        booking_receiver_register(
            BookingReceiver(
                payment_received=payment_received,
                balance_deadline_set=balance_deadline_set,
                balance_unpaid=balance_unpaid,
            )
        )
        # What the applicant's reminders say when they fall due (applicants/reminders.py), and a
        # letter request's (applicants/letter_reminders.py).
        for kind, render in {**RENDERERS, **LETTER_RENDERERS}.items():
            reminder_kind_register(kind, render)
