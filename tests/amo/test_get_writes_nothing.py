"""A GET changes nothing: every page of ours, opened by a link crawler or a prefetching browser as
anyone (anonymous, the applicant, the host's owner), leaves every row of every table as it was.

The URLs come from the URLconf: each pattern of our apps is opened at the world's paths that name
it (tests/amo/test_input_sweep.py's World: an application awaiting its deposit, a paid one, a
booking, a host's review queue...), and a pattern no path names is opened with the ids those paths
use (a POST-only action answers 405 to a GET, and still must write nothing).
"""

import re

import pytest
from django.apps import apps
from django.urls import URLResolver, get_resolver, resolve, reverse

from tests.amo.test_input_sweep import OUR_NAMESPACES, client_for, world  # noqa: F401 - the fixture
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db
ROLE_OF = {"rotations": "anonymous", "applicants": "applicant", "hosts": "owner"}


def every_row() -> dict[str, list[tuple]]:
    """Every row of every table, by model: what a GET must leave as it was. A model with no table of
    its own (pghistory's aggregate of the audit trail's event tables, whose tables are here) is
    left out."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models(include_auto_created=True)
        if model._meta.concrete_model._meta.managed
    }


def our_patterns() -> list[tuple[str, str, list[str]]]:
    """(namespace, name, the pattern's keyword arguments) of every URL of our apps."""
    found = []

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif namespace in OUR_NAMESPACES:
                found.append((namespace, pattern.name, list(pattern.pattern.converters)))

    walk(get_resolver().url_patterns, "")
    return found


def urls_of(sweep_world) -> dict[str, set[str]]:
    """Every URL to GET, by the role that opens it."""
    named: dict[str, set[str]] = {}
    for paths in sweep_world.paths.values():
        for path in paths:
            match = resolve(path)
            named.setdefault(f"{match.namespace}:{match.url_name}", set()).add(path)
    ids = sorted(
        {
            int(number)
            for paths in sweep_world.paths.values()
            for path in paths
            for number in re.findall(r"/(\d+)/", path)
        }
    )
    strings = {
        "slug": [sweep_world.rotation.slug],
        "purpose": ["deposit", "balance"],
        "token": ["not-a-token"],
    }
    urls: dict[str, set[str]] = {role: set() for role in ROLE_OF.values()}
    for namespace, name, arguments in our_patterns():
        role = ROLE_OF[namespace]
        key = f"{namespace}:{name}"
        if key in named:
            urls[role] |= named[key]
            continue
        if not arguments:
            urls[role].add(reverse(key))
            continue
        for pk in ids:
            kwargs = {argument: strings.get(argument, [pk])[0] for argument in arguments}
            urls[role].add(reverse(key, kwargs=kwargs))
    return urls


def test_no_get_of_any_page_writes_a_row(world):  # noqa: F811 - the fixture imported above
    urls = urls_of(world)
    assert sum(len(role_urls) for role_urls in urls.values()) > len(our_patterns())
    for role, role_urls in urls.items():
        client = client_for(role, world)
        before = every_row()
        for url in sorted(role_urls):
            response = client.get(url)
            assert response.status_code < 500, f"GET {url} as {role}: {response.status_code}"
            after = every_row()
            changed = [label for label in before if before[label] != after[label]]
            assert not changed, f"GET {url} as {role} changed {changed}"
            before = after


def test_the_row_check_sees_a_write():
    """The comparison the sweep relies on notices one changed row."""
    before = every_row()
    ApplicationFactory()
    after = every_row()
    assert [label for label in before if before[label] != after[label]]
