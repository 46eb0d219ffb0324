"""`manage.py bench --only payments`: 200 applicants paying for the last seats of a 5-seat block at
once, their signed webhooks posted through the WSGI handler and processed by a Celery worker.

A part of the bench command (bench.py), apart for its length: it serves requests with the command's
_pool_run (a pool of threads with a database connection each) and _serve (one request through the
WSGI handler). The stage is seeding/bench_payments.py.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

import stripe
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import CommandError
from django.db.models import Sum

from applicants.models import Application, ApplicationTransition
from payments.models import LedgerEntry, Payment, Refund, StripeEvent
from rotations.management.commands._bench_report import percentiles, write_table
from rotations.models import Block, SeatHold
from rotations.selectors import blocks_out_of_step
from seeding.bench_payments import PaymentsStage, payments_stage_retire, seed_payments_stage

WEBHOOK = "/payments/stripe/webhook/"
DUPLICATE_EVERY = 8  # Stripe delivers at least once: every eighth event arrives twice
# Payments made alone, one after the other: the baseline beside the crowd.
BASELINE_PAYMENTS = 10
# The benchmark's tasks have a queue of their own, so a `make run` worker on the same Redis never
# takes one (nor this worker one of its).
BENCH_QUEUE = "amo-bench"
SETTLE_TIMEOUT = 300.0


def route_tasks_to_bench_queue() -> None:
    """Send this process's tasks to the benchmark's own queue; before any task is sent, as Celery
    reads the setting once."""
    from amo.celery import app as celery_app

    celery_app.conf.task_default_queue = BENCH_QUEUE


class PaymentsBench:
    """The payments scenario, mixed into the bench command."""

    def measure_payments(self, *, applicants: int, seats: int, workers: str) -> None:
        """`applicants` pay for the last seats of a `seats`-seat block at once (seats - 2 of them in
        time, the others after their hold lapsed; seeding/bench_payments.py): their webhooks are
        posted by a pool of the first --workers size and processed by a Celery worker in this
        process. Exactly `seats` bookings, every loser refunded in full once or never charged and
        the ledger netting to the winners' payments, or the benchmark fails."""
        from celery.contrib.testing.worker import start_worker

        from amo.celery import app as celery_app

        pool = int(str(workers).split(",")[0])
        self.stderr.write(
            f"Inserting {applicants + BASELINE_PAYMENTS} ready applicants, then booking, letting holds "
            "lapse and paying at Stripe (a minute or two)"
        )
        stage = seed_payments_stage(applicants=applicants, seats=seats, baseline=BASELINE_PAYMENTS)
        try:
            # The notices the stage's own services queued are not part of the measure.
            with celery_app.connection_for_write() as broker:
                broker.default_channel.queue_purge(BENCH_QUEUE)
            with start_worker(
                celery_app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=60
            ):
                handler = WSGIHandler()
                alone = [self._pay_alone(handler, stage.events[p.pk], p) for p in stage.baseline_payments]
                duplicate = self._deliver(handler, stage.events[stage.baseline_payments[0].pk])
                floor = self._pool_run([duplicate] * applicants, workers=pool)
                deliveries = [stage.events[payment.pk] for payment in stage.payments]
                deliveries += [stage.events[payment.pk] for payment in stage.payments[::DUPLICATE_EVERY]]
                served = self._pool_run([self._deliver(handler, event) for event in deliveries], workers=pool)
                failed = [o for o in floor["outcomes"] + served["outcomes"] if isinstance(o, BaseException)]
                if failed:
                    raise CommandError(f"{len(failed)} webhook deliveries failed: {failed[:3]!r}")
                self._settle(stage)
            self._payments_report(stage, alone, floor, served, workers=pool)
            self._payments_check(stage)
        finally:
            payments_stage_retire(stage)

    def _deliver(self, handler: WSGIHandler, event: str) -> Callable[[], tuple[str, float]]:
        """A call posting `event` to the webhook as Stripe does, signed when sent; it returns the
        event's id and when it was sent (Unix time)."""
        event_id = json.loads(event)["id"]

        def post() -> tuple[str, float]:
            header = stripe.WebhookSignature.generate_signature_header(event, settings.STRIPE_WEBHOOK_SECRET)
            sent_at = time.time()
            status, content = self._serve(
                handler, WEBHOOK, body=event.encode(), headers={"HTTP_STRIPE_SIGNATURE": header}
            )
            if not status.startswith("200"):
                raise RuntimeError(f"The webhook answered {status}: {content[:200]!r}")
            return event_id, sent_at

        return post

    def _pay_alone(self, handler: WSGIHandler, event: str, payment: Payment) -> float:
        """Deliver one payment's event while nothing else is under way; ms to its booking confirmed."""
        _, sent_at = self._deliver(handler, event)()
        deadline = time.monotonic() + 30
        while not (confirmed := confirmed_at([payment.application_id])):
            if time.monotonic() > deadline:
                raise CommandError(f"Payment {payment.pk}, made alone, was not confirmed within 30 s.")
            time.sleep(0.002)
        return (confirmed[payment.application_id] - sent_at) * 1000

    def _settle(self, stage: PaymentsStage) -> None:
        """Wait until every payment of the crowd is final, its event processed and its refund sent."""
        ids = [payment.pk for payment in stage.payments]
        events = [json.loads(stage.events[pk])["id"] for pk in ids]
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while (
            Payment.objects.filter(pk__in=ids, status__in=Payment.OPEN).exists()
            or StripeEvent.objects.filter(event_id__in=events, processed_at__isnull=True).exists()
            or Refund.objects.filter(payment__in=ids, status=Refund.Status.PENDING).exists()
        ):
            if time.monotonic() > deadline:
                raise CommandError(f"The crowd's payments did not settle within {SETTLE_TIMEOUT:.0f} s.")
            time.sleep(0.05)

    def _payments_report(
        self, stage: PaymentsStage, alone: list[float], floor: dict, served: dict, *, workers: int
    ) -> None:
        """Per payment of the crowd: from its event's first delivery to its outcome (the event
        processed: booked, refunded in full or declined) and, for the winners, to the booking's
        confirmation; both times are the database's own."""
        sent_at: dict[str, float] = {}
        for event_id, at in served["outcomes"]:
            sent_at[event_id] = min(at, sent_at.get(event_id, at))
        event_of = {payment.pk: json.loads(stage.events[payment.pk])["id"] for payment in stage.payments}
        processed_at = dict(
            StripeEvent.objects.filter(event_id__in=event_of.values()).values_list("event_id", "processed_at")
        )
        confirmed = confirmed_at([payment.application_id for payment in stage.payments])
        outcomes: dict[str, list[float]] = {"won": [], "refunded": [], "declined": []}
        settled_ms, booked_ms = [], []
        for payment in Payment.objects.filter(pk__in=event_of):
            event_id = event_of[payment.pk]
            settled_ms.append((processed_at[event_id].timestamp() - sent_at[event_id]) * 1000)
            if payment.application_id in confirmed:
                booked_ms.append((confirmed[payment.application_id] - sent_at[event_id]) * 1000)
                outcomes["won"].append(settled_ms[-1])
            else:
                outcomes["refunded" if payment.refunded_cents else "declined"].append(settled_ms[-1])
        start = min(sent_at.values())
        all_settled = max(at.timestamp() for at in processed_at.values()) - start
        all_booked = max(confirmed.values()) - start
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        seats, in_time = stage.block.capacity, len(stage.in_time)
        self.stdout.write(
            f"\nPayments: {len(stage.payments)} applicants pay for the last {seats - in_time} seats of a "
            f"{seats}-seat block at once ({in_time} others still hold theirs);\n"
            f"{len(stage.payments) - in_time} paid after their hold lapsed and the sweep expired it, every "
            f"tenth of those declined. Stripe's signed events\n({len(served['outcomes'])}: every "
            f"{DUPLICATE_EVERY}th twice) posted {workers} at a time through the WSGI handler, processed by "
            f"a Celery worker in this\nprocess (2 threads); {os.cpu_count()} CPUs, load average {load} "
            "at the start.\n"
        )
        write_table(
            self.stdout,
            "webhook answers; from delivery to",
            [
                ("webhook answering a duplicate event (floor)", floor["service_ms"]),
                ("webhook answering the crowd's events", served["service_ms"]),
                ("one payment alone: booking confirmed (baseline)", alone),
                ("crowd: booking confirmed", booked_ms),
                ("crowd: payment settled, all", settled_ms),
                ("  won a seat: booking confirmed, event done", outcomes["won"]),
                ("  paid late, no seat: refunded in full", outcomes["refunded"]),
                ("  declined: failure recorded", outcomes["declined"]),
            ],
            width=50,
        )
        alone_p50, alone_p95, _ = percentiles(alone)
        _, booked_p95, _ = percentiles(booked_ms)
        _, settled_p95, _ = percentiles(settled_ms)
        self.stdout.write(
            f"\n{len(settled_ms) / all_settled:.1f} confirmations/s: {len(settled_ms)} payments settled in "
            f"{all_settled * 1000:.0f} ms from the first delivery (one payment alone: "
            f"{1000 / alone_p50:.1f}/s);\n{len(booked_ms)} bookings, the last {all_booked * 1000:.0f} ms "
            f"after the first delivery. p95 from delivery to booking confirmed {booked_p95:.0f} ms,\n"
            f"to settled {settled_p95:.0f} ms = {settled_p95 / alone_p95:.0f}x one payment alone "
            f"({alone_p95:.0f} ms). Exactly {seats} bookings, every loser refunded in full or never\n"
            "charged, the ledger netting to the winners' payments: checked."
        )

    def _payments_check(self, stage: PaymentsStage) -> None:
        """Fail unless the block holds exactly its seats as bookings, every other payment of the
        crowd is refunded in full once or was never charged, and the ledger's charges less refunds
        are what the winners paid."""
        block = Block.objects.get(pk=stage.block.pk)
        ids = [payment.pk for payment in stage.payments]
        held = SeatHold.objects.unreleased().filter(block=block, kind=SeatHold.Kind.BOOKING).count()
        confirmed = confirmed_at([payment.application_id for payment in stage.payments])
        problems = []
        if not len(confirmed) == held == block.seats_taken == block.capacity:
            problems.append(
                f"{len(confirmed)} bookings, {held} booking holds, seats_taken {block.seats_taken}, "
                f"capacity {block.capacity}"
            )
        kept = 0
        for payment in Payment.objects.filter(pk__in=ids).prefetch_related("refunds"):
            refunds = [(refund.status, refund.amount_cents) for refund in payment.refunds.all()]
            if payment.application_id in confirmed:
                kept += payment.amount_cents
                if (payment.status, refunds) != (Payment.Status.SUCCEEDED, []):
                    problems.append(f"winner's payment {payment.pk}: {payment.status}, refunds {refunds}")
            elif payment.status == Payment.Status.SUCCEEDED:
                if refunds != [(Refund.Status.SUCCEEDED, payment.amount_cents)]:
                    problems.append(f"loser's payment {payment.pk} not refunded in full once: {refunds}")
            elif payment.status != Payment.Status.FAILED or refunds:
                problems.append(f"payment {payment.pk}: {payment.status}, refunds {refunds}")
        kinds = LedgerEntry.Kind
        net = LedgerEntry.objects.filter(payment__in=ids, kind__in=[kinds.CHARGE, kinds.REFUND]).aggregate(
            s=Sum("amount_cents")
        )["s"]
        if net != kept:
            problems.append(f"the ledger's charges less refunds are {net}, the winners paid {kept}")
        problems += [f"block out of step: {row}" for row in blocks_out_of_step() if row[0] == block.pk]
        if problems:
            raise CommandError(f"Payments are wrong: {'; '.join(problems[:5])}.")


def confirmed_at(application_ids: list[int]) -> dict[int, float]:
    """When each of these applications' booking was confirmed (Unix time), for those confirmed."""
    return dict(
        (application_id, at.timestamp())
        for application_id, at in ApplicationTransition.objects.filter(
            application_id__in=application_ids, to_status=Application.Status.CONFIRMED
        ).values_list("application_id", "created_at")
    )
