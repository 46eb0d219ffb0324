"""The README is a newcomer's page, and the documents behind it point at what exists: every link
between them reaches a file and a heading, and every path of this repository they name exists."""

import re
from pathlib import Path

from tests.amo.test_comments import path_exists

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
# A path of ours: a top-level folder of the repository, then at least one more part.
TOP_LEVEL = {path.name for path in ROOT.iterdir() if path.is_dir() and not path.name.startswith(".")}
PATH = re.compile(r"(?<![\w./<-])((?:\.ci|[A-Za-z_][\w-]*)(?:/[\w.-]+)+/?)")


def anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(document: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", document.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {anchor(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def test_the_readme_starts_with_the_two_commands_and_stays_short():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = text.split("```")[1]
    assert [line.split("#")[0].strip() for line in first_block.splitlines()[1:]] == ["make run", "make test"]
    assert len(text.splitlines()) < 200


def test_every_link_between_the_documents_reaches_a_file_and_a_heading():
    broken = []
    for document in DOCUMENTS:
        for target in LINK.findall(document.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, fragment = target.partition("#")
            linked = (document.parent / path).resolve() if path else document
            if not linked.exists() or (fragment and fragment not in anchors(linked)):
                broken.append(f"{document.relative_to(ROOT)}: {target}")
    assert broken == []


def named_paths(text: str):
    for code in CODE.findall(text):
        if "://" in code or "<" in code:
            continue
        for named in PATH.findall(code):
            if named.split("/", 1)[0] in TOP_LEVEL | {".ci"}:
                yield named.rstrip("/.")


def test_every_path_the_documents_name_exists():
    missing = [
        f"{document.relative_to(ROOT)}: {named}"
        for document in DOCUMENTS
        for named in named_paths(document.read_text(encoding="utf-8"))
        if not path_exists(named)
    ]
    assert missing == []


def test_the_checks_see_a_missing_path_and_a_broken_anchor():
    assert list(named_paths("`payments/gone.py`, `amo/0004`, `/api/v1/me/`")) == [
        "payments/gone.py",
        "amo/0004",
    ]
    assert not path_exists("payments/gone.py") and path_exists("amo/0004")
    assert anchor("The API's errors and inputs") == "the-apis-errors-and-inputs"
    assert "seats-holds-and-the-booking-lifecycle" in anchors(ROOT / "docs" / "booking-lifecycle.md")
