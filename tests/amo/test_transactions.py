"""The two rules of amo.transactions, checked on the whole code base: a function that takes row locks
opens its own transaction or refuses to run outside one, and tasks are enqueued only after commit,
through enqueue_on_commit."""

import ast
from pathlib import Path

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError

from amo.celery import app as celery_app
from amo.tasks import record_worker_heartbeat
from amo.transactions import enqueue_on_commit, transaction_required
from applicants.models import Application
from applicants.services.moves import move
from applicants.workflow import ActorRole
from tests.factories import ApplicationFactory

ROOT = Path(__file__).resolve().parents[2]
APPS = ["amo", "applicants", "hosts", "payments", "rotations"]
GUARD = transaction_required.__name__


def app_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text())


def parents_of(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def calls_to(tree: ast.AST, attribute: str):
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == attribute
        ):
            yield node


def opens_a_transaction(node: ast.With) -> bool:
    for item in node.items:
        call = item.context_expr.func if isinstance(item.context_expr, ast.Call) else item.context_expr
        if getattr(call, "attr", None) == "atomic" or getattr(call, "id", None) == "atomic":
            return True
    return False


def starts_with_the_guard(function: ast.FunctionDef) -> bool:
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    first = body[0] if body else None
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Call)
        and getattr(first.value.func, "id", None) == GUARD
    )


def unguarded_row_locks(tree: ast.AST) -> list[tuple[int, str]]:
    """Each select_for_update( that is neither inside `with transaction.atomic()` in its function nor
    in a function that starts with transaction_required(...)."""
    parents = parents_of(tree)
    found = []
    for call in calls_to(tree, "select_for_update"):
        node, function = call, None
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.With) and opens_a_transaction(node):
                break
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                function = node
                break
        else:
            found.append((call.lineno, "<module>"))
            continue
        if function is not None and not (
            isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) and starts_with_the_guard(function)
        ):
            found.append((call.lineno, getattr(function, "name", "<lambda>")))
    return found


def test_every_function_that_takes_row_locks_opens_a_transaction_or_refuses_to_run_outside_one():
    scanned = 0
    offenders = []
    for path, tree in app_modules():
        scanned += sum(1 for _ in calls_to(tree, "select_for_update"))
        offenders += [f"{path.relative_to(ROOT)}:{line} {name}" for line, name in unguarded_row_locks(tree)]
    assert scanned > 30  # the scan sees the code base's row locks
    assert offenders == [], (
        "These functions lock rows without opening transaction.atomic() or starting with "
        f"{GUARD}(...):\n" + "\n".join(offenders)
    )


def test_the_scan_catches_a_row_lock_outside_any_transaction():
    unguarded = ast.parse(
        "def bad(pk):\n"
        "    return Block.objects.select_for_update().get(pk=pk)\n"
        "def guarded(pk):\n"
        '    """Why."""\n'
        '    transaction_required("guarded")\n'
        "    return Block.objects.select_for_update().get(pk=pk)\n"
        "def own(pk):\n"
        "    with transaction.atomic():\n"
        "        return Block.objects.select_for_update().get(pk=pk)\n"
        "def late(pk):\n"
        "    block = Block.objects.select_for_update().get(pk=pk)\n"
        '    transaction_required("late")\n'
    )
    assert [name for _, name in unguarded_row_locks(unguarded)] == ["bad", "late"]


@pytest.mark.django_db(transaction=True)
def test_a_move_of_the_state_machine_outside_a_transaction_is_refused_before_it_locks_anything():
    application = ApplicationFactory(status=Application.Status.CONFIRMED)
    with pytest.raises(TransactionManagementError, match="move must run inside transaction.atomic"):
        move(application, Application.Status.IN_PROGRESS, actor=None, role=ActorRole.SYSTEM)
    assert Application.objects.get(pk=application.pk).status == Application.Status.CONFIRMED
    with transaction.atomic():
        move(application, Application.Status.IN_PROGRESS, actor=None, role=ActorRole.SYSTEM)
    assert Application.objects.get(pk=application.pk).status == Application.Status.IN_PROGRESS


# --- Enqueueing -------------------------------------------------------------------------------------

ENQUEUE_MODULE = ROOT / "amo" / "transactions.py"


def test_tasks_are_enqueued_only_through_enqueue_on_commit():
    direct = [
        f"{path.relative_to(ROOT)}:{call.lineno} .{call.func.attr}("
        for path, tree in app_modules()
        if path != ENQUEUE_MODULE
        for attribute in ("delay", "apply_async", "send_task")
        for call in calls_to(tree, attribute)
    ]
    assert direct == [], "Enqueue with amo.transactions.enqueue_on_commit instead:\n" + "\n".join(direct)
    assert list(calls_to(ast.parse(ENQUEUE_MODULE.read_text()), "apply_async"))  # the one place


def queued() -> int:
    """How many messages wait on the broker's default queue (the real Redis)."""
    with celery_app.connection_for_write() as connection:
        return connection.default_channel.client.llen(celery_app.conf.task_default_queue)


@pytest.fixture
def empty_queue():
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(celery_app.conf.task_default_queue)


@pytest.mark.django_db(transaction=True)
def test_a_task_is_sent_to_the_broker_once_its_transaction_commits_and_never_if_it_rolls_back(empty_queue):
    def enqueue_then_fail():
        with transaction.atomic():
            enqueue_on_commit(record_worker_heartbeat)
            raise RuntimeError("the caller fails after enqueueing")

    with pytest.raises(RuntimeError):
        enqueue_then_fail()
    assert queued() == 0
    with transaction.atomic():
        enqueue_on_commit(record_worker_heartbeat)
        assert queued() == 0  # not before the commit
    assert queued() == 1
