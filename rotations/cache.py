"""The cache of the anonymous catalog: its pages, htmx results, API lists and rotations' pages in
Redis, keyed by the query's parameters.

A key holds the database's name, today's date (which blocks are still open to applications), what
is answered (the page's form and results, the htmx results, the API list and its host) and the
query's parameters in a canonical order with empty ones dropped (`RotationFilter.cache_query`), read
before any validation so that a hit costs no form; an entry holds the catalog version it was built
under, and only an entry of the current version is served. So `?q=peds&state=` and `?state=&q=peds`
share an entry, and two pages or queries never do; a query that does not validate is never stored.

Every write that changes what a listing shows calls `catalog_changed()`: saves and deletes of the
models the catalog reads (signals, below) and the writes that bypass signals (QuerySet.update(),
bulk inserts, SQL; tests/rotations/test_catalog_cache.py scans the source for new ones). It gives
the catalog a new version once the transaction commits, so the next request misses and reads the
database: a host's edit or a booking shows at once. Bumping after the commit, not before, keeps a
request that reads in between from storing the old rows under the new version. Entries also expire
after `settings.CATALOG_CACHE_SECONDS` (5 minutes), a safety net for a write that would forget;
0 switches the cache off.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_migrate, post_save
from django.http import HttpResponse
from django.utils import timezone

CACHE_ALIAS = "catalog"


def _cache():
    return caches[CACHE_ALIAS]


def _version_key() -> str:
    # The bench's scale database and the demo one share the Redis: each has its own versions.
    return f"catalog:{connection.settings_dict['NAME']}:version"


def _version() -> str:
    """The catalog's current version: random, so an evicted version key never brings back old entries."""
    cache, key = _cache(), _version_key()
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        version = cache.get(key)
    return version


def _version_bump() -> None:
    _cache().set(_version_key(), uuid.uuid4().hex, timeout=None)


def catalog_changed() -> None:
    """Say that what the catalog lists changed: its cached pages are dropped once the change commits.

    One bump per transaction (savepoint) however many rows it writes: a bulk delete signals every row.
    """
    connection = transaction.get_connection()
    savepoints = set(connection.savepoint_ids)
    # Django's queue of callbacks holds (savepoint ids, callback, robust) for each.
    if any(func is _version_bump and saved == savepoints for saved, func, _ in connection.run_on_commit):
        return
    # Robust: with Redis unreachable the change is committed all the same, and its request must not
    # fail; cached pages then live on until CATALOG_CACHE_SECONDS.
    transaction.on_commit(_version_bump, robust=True)


def messages_pending(request) -> bool:
    """A message waits for this visitor (e.g. "You have signed out."): their page is not the cached one.
    Counting the messages does not mark them shown."""
    return bool(len(get_messages(request)))


def catalog_cache_on(request) -> bool:
    """Only anonymous GETs use the cache: a signed-in visitor's pages show what is theirs (their
    address in the menu, their CSRF token for htmx)."""
    return (
        bool(settings.CATALOG_CACHE_SECONDS) and request.method == "GET" and not request.user.is_authenticated
    )


def catalog_cached(kind: str, query: dict[str, Any], build: Callable[[], Any]) -> Any:
    """What `build()` returns for this answer kind and query, from the cache when it holds it.

    `build` returns None for an answer not to keep (an error); it is then returned, not stored. An
    entry holds the version it was built under, and the version and the entry are read together
    (one round trip to Redis): an entry of an older version is a miss. The version is read before
    building, so rows read before a change commits are stored under the old one.
    """
    if not settings.CATALOG_CACHE_SECONDS:
        return build()
    cache = _cache()
    canonical = json.dumps(query, sort_keys=True, default=str, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    key = f"catalog:{connection.settings_dict['NAME']}:{timezone.localdate()}:{kind}:{digest}"
    found = cache.get_many([_version_key(), key])
    version = found.get(_version_key()) or _version()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    value = build()
    if value is not None:
        cache.set(key, (version, value), timeout=settings.CATALOG_CACHE_SECONDS)
    return value


def public_page(request, kind: str, query: dict[str, Any], build: Callable[[], str]) -> HttpResponse:
    """A public page of the catalog (a rotation, a host, a preceptor): an anonymous visitor's comes
    whole from the cache, which forgets it as soon as what it shows changes, unless a message waits
    to be shown to the visitor or the address carries parameters; a signed-in visitor's is always
    read, as it may offer them more (booking)."""
    if catalog_cache_on(request) and not request.GET and not messages_pending(request):
        return HttpResponse(catalog_cached(kind, query, build))
    return HttpResponse(build())


def _changed(sender, **kwargs) -> None:
    catalog_changed()


def catalog_signals_connect() -> None:
    """Saves and deletes of every model a listing shows, and every migration, change the catalog."""
    from hosts.models import Organization, Preceptor
    from rotations.models import Block, Rotation, SearchSynonym, Specialty

    # A rotation's page shows its preceptor (name, credentials, board certification, NPI).
    for model in (Rotation, Block, Organization, Preceptor, Specialty, SearchSynonym):
        post_save.connect(_changed, sender=model, dispatch_uid=f"catalog_changed_save_{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"catalog_changed_delete_{model.__name__}")
    post_migrate.connect(_changed, dispatch_uid="catalog_changed_migrate")
