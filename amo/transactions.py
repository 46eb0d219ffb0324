"""Transactions: what must run inside one, and how work is handed to the workers after one commits.

Two rules every app keeps (tests/amo/test_transactions.py scans the code for both):

- A function that takes row locks opens its own transaction or starts with `transaction_required`.
  Outside a transaction a row lock would be released at once (Django refuses select_for_update there);
  the assertion makes a caller that forgot the transaction fail in tests, not in production.
- A task is enqueued only through `enqueue_on_commit` (after pretix's TransactionAwareTask and
  Zulip's queue_event_on_commit): a worker never reads rows that are not committed yet, a rolled
  back change sends nothing, and a broker that cannot be reached never turns a request whose data
  committed into a 500. What could not be enqueued is logged and picked up by a catch-up task:
  the every-minute relays for emails (amo.tasks.notifications_relay, hosts.tasks.invitations_relay),
  the daily payments.tasks.reconcile (refunds, Stripe events) and balances_charge for money.
"""

from __future__ import annotations

import logging
from functools import partial

from celery import Task
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def transaction_required(what: str) -> None:
    """Refuse to go on outside transaction.atomic(): `what` takes row locks that must be held until
    its caller's writes commit."""
    if not connection.in_atomic_block:
        raise TransactionManagementError(f"{what} must run inside transaction.atomic(): it takes row locks.")


def enqueue_on_commit(task: Task, *args, **kwargs) -> None:
    """Send `task(*args, **kwargs)` to the workers once the current transaction commits (at once
    outside one); nothing is sent if it rolls back. Never raises when the broker is down."""
    transaction.on_commit(partial(_enqueue, task, args, kwargs))


def _enqueue(task: Task, args: tuple, kwargs: dict) -> None:
    try:
        task.apply_async(args, kwargs)
    except (OperationalError, OSError):
        # The caller's data is committed; its catch-up task sends this later.
        logger.exception("Could not enqueue %s%r: the broker is unreachable", task.name, args)
