"""Payments and applications depend one way: the booking code calls payments to take and return
money, and payments report what Stripe said through payments.handoff alone."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


PAYMENTS_MODULES = sorted(p for p in (ROOT / "payments").rglob("*.py") if "migrations" not in p.parts)


def test_the_scan_sees_the_payments_modules():
    names = {p.relative_to(ROOT).as_posix() for p in PAYMENTS_MODULES}
    assert {"payments/services.py", "payments/refunds.py", "payments/handoff.py"} <= names


@pytest.mark.parametrize("path", PAYMENTS_MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_payments_import_no_applicants_services_module(path):
    reaching = sorted(
        name
        for name in _imports(path)
        if name == "applicants.services" or name.startswith("applicants.services.")
    )
    assert not reaching, (
        f"{path.relative_to(ROOT)} imports {reaching}: report through payments.handoff instead"
    )


def test_the_scan_finds_an_import_of_the_booking_code(tmp_path):
    written = tmp_path / "offender.py"
    written.write_text(
        "from applicants.services import application_cancel\nimport applicants.services.offers\n"
    )
    assert _imports(written) >= {"applicants.services.application_cancel", "applicants.services.offers"}


WRITES = {"update", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create", "delete"}


def _application_writes(path: Path) -> list[int]:
    """Lines of calls like Application.objects.filter(...).update(...) or application.save(),
    however they are wrapped."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = ast.unparse(node.func.value)
        if node.func.attr in WRITES and receiver.startswith("Application.objects"):
            found.append(node.lineno)
        if node.func.attr == "save" and receiver.split(".")[-1] in ("application", "locked_application"):
            found.append(node.lineno)
    return found


def test_payments_write_no_application_fields():
    """Only the applications services write an application: no payments module updates, saves or
    creates one."""
    writes = {path.relative_to(ROOT).as_posix(): _application_writes(path) for path in PAYMENTS_MODULES}
    assert {path: lines for path, lines in writes.items() if lines} == {}


def test_the_write_scan_finds_a_wrapped_update(tmp_path):
    written = tmp_path / "offender.py"
    written.write_text(
        "Application.objects.filter(\n    pk=1\n).update(\n    status='x'\n)\napplication.save()\n"
    )
    assert _application_writes(written) == [1, 6]


def test_the_booking_receiver_is_registered_by_the_applicants_app():
    from applicants.services import payment_handoff
    from payments.handoff import booking_receiver

    receiver = booking_receiver()
    assert receiver.payment_received is payment_handoff.payment_received
    assert receiver.balance_unpaid is payment_handoff.balance_unpaid
    assert receiver.balance_deadline_set is payment_handoff.balance_deadline_set
