"""Every task beat runs has a test that runs it as a worker does: on committed data, outside any
transaction of the test's (pytest's own transaction hides every lock taken outside one).

A new entry of CELERY_BEAT_SCHEDULE fails this module until it names such a test here."""

import importlib
import inspect

import pytest
from django.conf import settings

from amo.celery import app as celery_app

# Each beat task, and the test that runs it on committed data (django_db(transaction=True), or the
# real worker of tests/conftest.py).
COMMITTED_DATA_TESTS = {
    "amo.tasks.record_worker_heartbeat": (
        "tests.amo.test_celery::test_a_real_worker_runs_the_heartbeat_task_through_redis"
    ),
    "amo.tasks.notifications_relay": (
        "tests.amo.test_relay::test_the_relay_emails_a_notification_its_task_never_sent_once_however_often_it_runs"
    ),
    "hosts.tasks.invitations_relay": (
        "tests.amo.test_relay::"
        "test_the_relay_emails_live_invitations_their_task_never_sent_and_no_revoked_or_expired_one"
    ),
    "rotations.tasks.catalog_refresh": (
        "tests.rotations.test_catalog_tasks::"
        "test_the_daily_catalog_refresh_moves_next_start_dates_past_closed_blocks_on_committed_data"
    ),
    "rotations.tasks.seat_counts_check": (
        "tests.rotations.test_catalog_tasks::"
        "test_the_daily_seat_count_check_reports_a_block_counted_by_hand_on_committed_data"
    ),
    "applicants.tasks.holds_sweep": (
        "tests.applicants.test_holds_sweep_worker::"
        "test_the_worker_expires_a_lapsed_offer_and_offers_its_seat_to_the_first_waitlisted_once"
    ),
    "applicants.tasks.bookings_advance": (
        "tests.applicants.test_bookings_advance_task::"
        "test_the_hourly_task_starts_bookings_that_began_and_completes_those_that_ended_on_committed_data"
    ),
    "payments.tasks.reconcile": (
        "tests.payments.test_beat_tasks::"
        "test_the_daily_reconciliation_confirms_a_payment_whose_webhook_was_lost_on_committed_data"
    ),
    "amo.tasks.reminders_sweep": (
        "tests.amo.test_reminders_worker::"
        "test_a_worker_killed_in_the_middle_of_a_batch_leaves_each_reminder_to_be_sent_once_after_a_restart"
    ),
    "applicants.tasks.letters_expire_unanswered": (
        "tests.applicants.test_letter_reminders_worker::"
        "test_a_request_left_unanswered_is_nudged_escalated_and_expires_with_each_email_once"
    ),
    "payments.tasks.balances_charge": (
        "tests.payments.test_beat_tasks::test_the_daily_balance_charge_charges_a_balance_due_once_on_committed_data"
    ),
}
COMMITTED_DATA_FIXTURES = {"celery_worker", "transactional_db", "live_server"}


def django_db_mark(obj) -> pytest.Mark | None:
    marks = getattr(obj, "pytestmark", [])
    marks = [getattr(mark, "mark", mark) for mark in (marks if isinstance(marks, list) else [marks])]
    return next((mark for mark in marks if mark.name == "django_db"), None)


def runs_on_committed_data(test, module) -> bool:
    """A test's own django_db mark decides, else its module's; a worker fixture commits too."""
    mark = django_db_mark(test) or django_db_mark(module)
    if mark is not None and mark.kwargs.get("transaction"):
        return True
    return bool(COMMITTED_DATA_FIXTURES & set(inspect.signature(test).parameters))


def refusal(task_name: str) -> str:
    """Why the test named for `task_name` does not show it runs on committed data, or ""."""
    node = COMMITTED_DATA_TESTS.get(task_name)
    if node is None:
        return "no test is named for it in COMMITTED_DATA_TESTS"
    module_name, test_name = node.split("::")
    module = importlib.import_module(module_name)
    test = getattr(module, test_name, None)
    if test is None:
        return f"{node} does not exist"
    if not runs_on_committed_data(test, module):
        return f"{node} runs inside pytest's transaction: mark it django_db(transaction=True)"
    names = [name for name, value in vars(module).items() if getattr(value, "name", None) == task_name]
    if not any(name in inspect.getsource(test) for name in names):
        return f"{node} does not run the task {task_name} (import the task itself, not its service)"
    return ""


def test_every_beat_task_has_a_test_that_runs_it_on_committed_data():
    celery_app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    refusals = {name: refusal(name) for name in sorted(scheduled)}
    assert {name: why for name, why in refusals.items() if why} == {}
    assert set(COMMITTED_DATA_TESTS) == scheduled, "a task named here is no longer scheduled"


def test_a_beat_task_without_such_a_test_is_refused(monkeypatch):
    celery_app.loader.import_default_modules()
    assert refusal("amo.tasks.email_notification") == "no test is named for it in COMMITTED_DATA_TESTS"
    # A test of the task's service inside pytest's transaction does not count.
    monkeypatch.setitem(
        COMMITTED_DATA_TESTS,
        "applicants.tasks.bookings_advance",
        "tests.applicants.test_booking::test_bookings_start_on_the_first_day_and_complete_after_the_last",
    )
    assert "runs inside pytest's transaction" in refusal("applicants.tasks.bookings_advance")
    # A committed-data test that runs the service, not the task beat sends, does not count either.
    monkeypatch.setitem(
        COMMITTED_DATA_TESTS,
        "applicants.tasks.bookings_advance",
        "tests.amo.test_transactions::"
        "test_a_move_of_the_state_machine_outside_a_transaction_is_refused_before_it_locks_anything",
    )
    assert "does not run the task" in refusal("applicants.tasks.bookings_advance")
