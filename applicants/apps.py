from django.apps import AppConfig


class ApplicantsConfig(AppConfig):
    name = "applicants"
    verbose_name = "Applicants"

    def ready(self) -> None:
        # Payments report what Stripe said through this one hand-off; the booking code decides.
        from applicants.services.payment_handoff import balance_unpaid, payment_received
        from payments.handoff import BookingReceiver, booking_receiver_register

        booking_receiver_register(
            BookingReceiver(payment_received=payment_received, balance_unpaid=balance_unpaid)
        )
