"""Comments say why in words a reader can check: they cite no issue numbers (a reader of the code
has no issue tracker beside it), and every path of this repository they name exists."""

import ast
import functools
import io
import os
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Folders left out: vendored code, installed packages, generated files and local data are not ours.
SKIPPED = {".git", ".venv", ".venv-lock", ".data", "node_modules", "staticfiles", "vendor", "__pycache__"}
HASH_COMMENTED = {".toml", ".yml", ".yaml", ".cfg", ".sh"}
HASH_COMMENTED_NAMES = {"Makefile", "Dockerfile", "run", ".dockerignore", ".gitignore"}
TEMPLATE_SUFFIXES = {".html", ".txt", ".xml", ".jinja"}

# Findings in files that are being rewritten as this test lands, each as (path, text found).
# The rewrite removes them; an entry that no longer matches fails, so this list only shrinks.
PENDING: set[tuple[str, str]] = set()


def source_files():
    for folder, folders, files in os.walk(ROOT):
        folders[:] = sorted(name for name in folders if name not in SKIPPED)
        for name in sorted(files):
            path = Path(folder) / name
            if (
                path.suffix in {".py", ".js", ".css"} | HASH_COMMENTED | TEMPLATE_SUFFIXES
                or name in HASH_COMMENTED_NAMES
            ):
                yield path.relative_to(ROOT)


def python_comments(text):
    """Every comment and docstring of a Python file, with its line."""
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            docstring = ast.get_docstring(node, clean=False)
            if docstring is not None:
                yield node.body[0].lineno, docstring


def pattern_comments(text, pattern):
    for match in re.finditer(pattern, text, flags=re.DOTALL):
        yield text.count("\n", 0, match.start()) + 1, match.group(0)


def comments(relative):
    """(line, text) of each comment in a file, by the comment syntax of its kind."""
    text = (ROOT / relative).read_text(encoding="utf-8")
    if relative.suffix == ".py":
        yield from python_comments(text)
    elif relative.suffix == ".js":
        yield from pattern_comments(text, r"/\*.*?\*/|(?<![:\\\"'])//[^\n]*")
    elif relative.suffix == ".css":
        yield from pattern_comments(text, r"/\*.*?\*/")
    elif relative.suffix in TEMPLATE_SUFFIXES:
        yield from pattern_comments(
            text, r"\{#.*?#\}|<!--.*?-->|\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}"
        )
    else:
        yield from pattern_comments(text, r"(?:^|(?<=\s))#[^\n]*")


# An issue cited by number: a number or pair of numbers in brackets, a number after "issue", "ticket"
# or "PR", or a number after a hash.
ISSUE_NUMBER = re.compile(
    r"(?<![\w\]\[])\[\d+(?:/\d+)?\](?![\[(])"
    r"|\b(?:issues?|tickets?|PRs?|pull requests?)\s+#?\d+"
    r"|(?<![\w&/#])#\d+\b(?![\w-])",
    flags=re.IGNORECASE,
)
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", flags=re.IGNORECASE)
# A relative path with at least one folder: "payments/services.py", "rotations/migrations/0002".
PATH = re.compile(r"(?<![\w./:<{*-])(\.?[A-Za-z_][\w.-]*(?:/[\w.-]+)+/?)")
# Bases a comment's path may be written from: the repository, and the template and static roots.
BASES = [ROOT, ROOT / "templates", ROOT / "templates" / "jinja2", ROOT / "static"]
OTHER_PROJECT = re.compile(r"\b(?:pretix|zulip|saleor|hacksoft|cookiecutter)\b", flags=re.IGNORECASE)


def path_exists(named: str) -> bool:
    named = named.rstrip("/.,:;")
    for base in BASES:
        candidate = base / named
        if candidate.exists() or any(candidate.parent.glob(f"{candidate.name}[_.]*")):
            return True
        # "amo/0004" names a migration of the app amo.
        app, _, number = named.partition("/")
        if number.isdigit() and any((ROOT / app / "migrations").glob(f"{number}_*.py")):
            return True
    return False


def ours(named: str, before: str = "") -> bool:
    """A path whose first folder is one of ours; "base/services/quotas.py" is pretix's, and so is any
    path just after another project's name ("as Zulip keeps tools/run-dev")."""
    first = named.split("/", 1)[0]
    if first in SKIPPED | {"..", "js", "css", "img"} or OTHER_PROJECT.search(before[-40:]):
        return False
    return any((base / first).is_dir() for base in BASES)


# A dotted name in one of our packages: "payments.tasks.reconcile", "rotations.SeatHold" (an app's model).
PACKAGES = sorted(path.parent.name for path in ROOT.glob("*/__init__.py"))
DOTTED = re.compile(rf"(?<![\w.@/-])((?:{'|'.join(PACKAGES)})(?:\.\w+)+)")
DOMAIN_ENDINGS = {"com", "org", "net", "test", "example"}


@functools.cache
def defined_names(module: Path) -> set[str]:
    """What a module defines or imports at any depth: functions, classes, assigned names."""
    names = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def module_name_exists(dotted: str) -> bool:
    """The longest module the name starts with exists, and defines the name's next part; after an
    app's name alone, the next part is one of its models."""
    parts = dotted.split(".")
    if parts[-1] in DOMAIN_ENDINGS:
        return True
    found = len(parts)
    while not (
        ROOT.joinpath(*parts[:found]).with_suffix(".py").is_file()
        or ROOT.joinpath(*parts[:found], "__init__.py").is_file()
    ):
        found -= 1
    rest = parts[found:]
    if not rest:
        return True
    module = ROOT.joinpath(*parts[:found])
    if found == 1:
        module = module / "models"
    source = module.with_suffix(".py") if module.with_suffix(".py").is_file() else module / "__init__.py"
    return source.is_file() and rest[0] in defined_names(source)


def findings():
    """(file:line, file, text) of each issue number and each missing path named in a comment."""
    issues, paths = [], []
    for relative in source_files():
        for line, comment in comments(relative):
            text = URL.sub("", comment)
            for match in ISSUE_NUMBER.finditer(text):
                where = f"{relative}:{line + text.count(chr(10), 0, match.start())}"
                issues.append((where, str(relative), match.group(0)))
            for match in PATH.finditer(text):
                named = match.group(1)
                if ours(named, text[: match.start()]) and not path_exists(named):
                    where = f"{relative}:{line + text.count(chr(10), 0, match.start())}"
                    paths.append((where, str(relative), named))
            for match in DOTTED.finditer(text):
                if not module_name_exists(match.group(1)):
                    where = f"{relative}:{line + text.count(chr(10), 0, match.start())}"
                    paths.append((where, str(relative), match.group(1)))
    return issues, paths


ISSUES, PATHS = findings()


def unexpected(found):
    return [f"{where}: {text}" for where, relative, text in found if (relative, text) not in PENDING]


def test_comments_cite_no_issue_numbers():
    assert unexpected(ISSUES) == []


def test_every_path_a_comment_names_exists():
    assert unexpected(PATHS) == []


def test_the_pending_findings_are_still_there():
    """A finding fixed in its file leaves this list too, so the list never hides a new one."""
    found = {(relative, text) for _, relative, text in ISSUES + PATHS}
    assert PENDING - found == set()


@pytest.mark.parametrize(
    ("comment", "issue"),
    [
        ("# Holds the seat until the deposit is paid ([7/11]).", "[7/11]"),
        ("# read by the catalog ([4/8]) and staff", "[4/8]"),
        ("# see [12]", "[12]"),
        ("# as issue 11 asked", "issue 11"),
        ("# fixed in #12", "#12"),
    ],
)
def test_the_scan_sees_an_issue_number(comment, issue):
    assert [match.group(0) for match in ISSUE_NUMBER.finditer(comment)] == [issue]


@pytest.mark.parametrize(
    "comment",
    [
        '"documents[0]" is the first document',
        "values[0] and cuts[94]",
        "Python 3.11, Django 5.2, RFC 6266, HTTP 404",
        "colour #fff, anchor https://example.com/#12, &#39;",
        "the first 10,000 rotations, p95 under 50 ms",
    ],
)
def test_the_scan_leaves_indexes_versions_and_urls_alone(comment):
    assert list(ISSUE_NUMBER.finditer(URL.sub("", comment))) == []


def test_the_scan_sees_a_path_that_is_gone_and_not_one_that_exists_or_is_not_ours():
    named = [match.group(1) for match in PATH.finditer("see payments/gone.py, amo/money.py, amo/0004")]
    assert [path for path in named if ours(path) and not path_exists(path)] == ["payments/gone.py"]
    others = "pretix's base/services/quotas.py, /api/v1/rotations/, https://x.test/amo/gone.py"
    assert [path for path in PATH.findall(URL.sub("", others)) if ours(path)] == []


def test_the_scan_sees_a_module_or_name_that_is_gone():
    named = DOTTED.findall("payments.tasks.reconcile, rotations.SeatHold, payments.gone, amo.money.gone_rule")
    assert [name for name in named if not module_name_exists(name)] == [
        "payments.gone",
        "amo.money.gone_rule",
    ]
    assert DOTTED.findall("no-reply@amo.example, https://amo.example.com/") == []
