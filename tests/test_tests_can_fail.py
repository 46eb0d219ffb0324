"""Every test can fail: it asserts something that depends on what the code did.

A test with no assertion only shows that nothing raised; `assert SomeFactory` or `assert x or
True` holds whatever the code does. This scan of tests/ finds both kinds.
"""

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _checks_directly(node: ast.AST) -> bool:
    """An assert, a pytest.raises/warns, or a call to a helper named assert_*/expect (Playwright)."""
    for each in ast.walk(node):
        if isinstance(each, ast.Assert):
            return True
        if isinstance(each, ast.Call):
            name = _name(each)
            # schemathesis' call_and_validate raises on every failed check.
            if name in {"raises", "warns", "expect", "call_and_validate"} or "assert" in name:
                return True
    return False


def _modules() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(), filename=str(path)) for path in sorted(TESTS.rglob("*.py"))}


def _checking_helpers(modules: dict[Path, ast.Module]) -> set[str]:
    """The names of the helpers in tests/ that check something, directly or through another helper."""
    helpers = {
        node.name: node
        for tree in modules.values()
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("test_")
    }
    checking = {name for name, node in helpers.items() if _checks_directly(node)}
    while True:
        more = {
            name
            for name, node in helpers.items()
            if name not in checking
            and any(isinstance(c, ast.Call) and _name(c) in checking for c in ast.walk(node))
        }
        if not more:
            return checking
        checking |= more


def _always_true(test: ast.expr) -> bool:
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.Name) and test.id[:1].isupper():  # a class, a factory, a constant
        return True
    if isinstance(test, ast.Tuple):  # assert (x, "message") is always true
        return bool(test.elts)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return any(_always_true(value) for value in test.values)
    return False


def test_every_test_asserts_something():
    modules = _modules()
    checking = _checking_helpers(modules)
    silent = []
    for path, tree in modules.items():
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.name.startswith(
                "test_"
            ):
                continue
            calls = {_name(c) for c in ast.walk(node) if isinstance(c, ast.Call)}
            if not _checks_directly(node) and not calls & checking:
                silent.append(f"{path.relative_to(TESTS)}::{node.name}")
    assert len(modules) > 50
    assert silent == [], "these tests assert nothing, so they cannot fail"


def test_no_test_asserts_what_is_always_true():
    always = [
        f"{path.relative_to(TESTS)}:{node.lineno}: assert {ast.unparse(node.test)}"
        for path, tree in _modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert) and _always_true(node.test)
    ]
    assert always == []


def _is_raises(item: ast.withitem) -> bool:
    return isinstance(item.context_expr, ast.Call) and _name(item.context_expr) == "raises"


def test_nothing_follows_the_raising_call_inside_pytest_raises():
    """An assert after the call that raises, inside the same `with pytest.raises`, never runs."""
    unreachable = [
        f"{path.relative_to(TESTS)}:{node.lineno}"
        for path, tree in _modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.With) and any(_is_raises(item) for item in node.items) and len(node.body) > 1
    ]
    assert unreachable == []


def test_the_scan_finds_a_silent_test_and_an_assertion_that_always_holds():
    tree = ast.parse(
        "def helper(x):\n    assert x\n"
        "def test_silent():\n    print(1)\n"
        "def test_through_helper():\n    helper(1)\n"
        "def test_factory():\n    assert DocumentFactory\n"
        "def test_or_true():\n    assert f() or True\n"
    )
    functions = {node.name: node for node in tree.body}
    assert not _checks_directly(functions["test_silent"])
    assert _checks_directly(functions["helper"])
    assert [_always_true(functions[name].body[0].test) for name in ("test_factory", "test_or_true")] == [
        True,
        True,
    ]
