"""The audit trail: who changed what, and when, on the records staff answer for.

Postgres triggers (django-pghistory, on django-pgtrigger) copy a tracked row into its event table
on every insert, update and delete, whoever writes it: a service's `.save()`, a `QuerySet.update()`,
a `bulk_create` or raw SQL. Django signals would miss all but the first.

Who acted travels with each write as pghistory's context, a small JSON object stored once per
request, task run or command run and linked from each event it caused:

- `user` and `url`: a web request that writes (pghistory.middleware.HistoryMiddleware, for POST,
  PUT, PATCH and DELETE): the signed-in person, or the API token's, whom DRF sets later in the
  request (pghistory's middleware records a later `request.user` too);
- `task`: a Celery task's name (amo.celery.AuditedTask), e.g. `applicants.tasks.holds_sweep`;
- `command`: a management command's name (AuditedCommand), e.g. `seed_demo`.

A write with none of these (a migration, psql) is recorded with no context. Staff read an object's
history on its admin page ("History"), and every event on the "Audit events" list
(amo/audit_admin.py). docs/audit-trail.md tells the whole of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pghistory
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst

from amo.money import format_cents
from amo.text import day_label, moment_label

ACTIONS = {"insert": "Created", "update": "Changed", "delete": "Deleted"}


def tracked(*, exclude: Sequence[str] = (), indexes: Sequence[models.Index] = ()):
    """Keep a snapshot of the model's row on every insert, update and delete, in an append-only
    event table of its app (`<Model>Event`). An update that changes only `exclude`d columns
    records nothing: say beside each why recording it would be pointless. Events are found by
    their object (indexed); `indexes` adds those the parent's history reads by (a rotation's
    blocks' events by rotation)."""
    return pghistory.track(
        pghistory.InsertEvent(trigger_name="audit_insert"),
        pghistory.UpdateEvent(trigger_name="audit_update"),
        pghistory.DeleteEvent(trigger_name="audit_delete"),
        exclude=list(exclude),
        meta={"indexes": list(indexes)},
    )


class AuditedCommand(BaseCommand):
    """A management command whose writes the audit trail records as made by the command."""

    def execute(self, *args, **options):
        with pghistory.context(command=type(self).__module__.rsplit(".", 1)[-1]):
            return super().execute(*args, **options)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class AuditEntry:
    """One event of one object, as staff read it."""

    at: datetime
    order: int  # the event's id, which orders one table's events made at the same instant
    record: str  # which part of the object it is about ("Block 12"); empty for the object itself
    action: str
    actor: str
    url: str
    changes: tuple[FieldChange, ...]


def actor_label(context: dict | None, users: dict[int, object]) -> str:
    """Who acted, in words: the person (by email), the task, the command, or that nothing said."""
    context = context or {}
    if context.get("user") is not None:
        user = users.get(context["user"])
        return str(getattr(user, "email", None) or f"user {context['user']}")
    if context.get("task"):
        return f"task {context['task']}"
    if context.get("command"):
        return f"command {context['command']}"
    if context.get("url"):
        return "someone not signed in"
    return "no one recorded (a migration or the database directly)"


def users_by_id(contexts: Iterable[dict | None]) -> dict[int, object]:
    """The users the contexts name, in one query."""
    ids = {context["user"] for context in contexts if context and context.get("user") is not None}
    return {user.pk: user for user in get_user_model().objects.filter(pk__in=ids)} if ids else {}


def _in_words(field: models.Field, value: object, snapshot: object) -> str:
    """A stored value as staff read it: a choice's label, an amount of money, a date, or the id a
    foreign key holds."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list) and getattr(field, "base_field", None) is not None:
        return ", ".join(_in_words(field.base_field, item, snapshot) for item in value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field.name.endswith("_cents") and isinstance(value, int):
        return format_cents(value, getattr(snapshot, "currency", None) or "usd")
    if isinstance(value, datetime):
        return f"{moment_label(value)} UTC"
    if isinstance(value, date):
        return day_label(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if field.is_relation:
        return f"#{value}"
    return str(value)


def _tracked_fields(event_model) -> list[models.Field]:
    return [field for field in event_model._meta.concrete_fields if not field.name.startswith("pgh_")]


def _changes(fields: list[models.Field], before, after) -> tuple[FieldChange, ...]:
    """What differs between two snapshots of a row; every field when there is no `before`."""
    changed = []
    for field in fields:
        new = getattr(after, field.attname)
        old = getattr(before, field.attname) if before is not None else None
        if before is None or old != new:
            changed.append(
                FieldChange(
                    field=str(field.verbose_name),
                    old=_in_words(field, old, before) if before is not None else "",
                    new=_in_words(field, new, after),
                )
            )
    return tuple(changed)


def diff_in_words(model: type[models.Model], diff: dict | None, data: dict | None) -> tuple[FieldChange, ...]:
    """pghistory's diff of an event with the one before (`{column: [old, new]}`, as JSON) in words,
    in the model's field order; `data` is the event's whole row, for the currency of amounts."""
    diff = diff or {}
    snapshot = SimpleNamespace(currency=(data or {}).get("currency"))
    changed = []
    for field in model._meta.concrete_fields:
        if field.column in diff:
            old, new = (None if value is None else field.to_python(value) for value in diff[field.column])
            changed.append(
                FieldChange(
                    field=str(field.verbose_name),
                    old=_in_words(field, old, snapshot),
                    new=_in_words(field, new, snapshot),
                )
            )
    return tuple(changed)


def event_model_of(model: type[models.Model]) -> type[models.Model]:
    """The event table that tracks `model` (amo.audit.tracked put it beside the model)."""
    return model.events.field.model


def object_history(
    obj: models.Model, *, related: Sequence[tuple[type[models.Model], str]] = ()
) -> list[AuditEntry]:
    """Every recorded event of `obj`, newest first, each with who acted and what changed; with
    `related` ((model, foreign key) pairs), its parts' events too: a rotation's blocks, an
    organization's memberships (those removed included). One query per event table and one for
    the people, however long the history."""
    sources = [(type(obj), Q(pgh_obj_id=obj.pk), "")]
    sources += [
        (model, Q(**{f"{key}_id": obj.pk}), capfirst(model._meta.verbose_name)) for model, key in related
    ]
    loaded = []
    for model, condition, record in sources:
        event_model = event_model_of(model)
        events = list(
            event_model.objects.filter(condition)
            .select_related("pgh_context")
            .order_by("pgh_obj_id", "pgh_id")
        )
        loaded.append((event_model, events, record))
    users = users_by_id(
        event.pgh_context.metadata for _, events, _ in loaded for event in events if event.pgh_context
    )
    entries = []
    for event_model, events, record in loaded:
        fields = _tracked_fields(event_model)
        before = None
        for event in events:
            if before is not None and before.pgh_obj_id != event.pgh_obj_id:
                before = None
            context = event.pgh_context.metadata if event.pgh_context else None
            entries.append(
                AuditEntry(
                    at=event.pgh_created_at,
                    order=event.pgh_id,
                    record=f"{record} {event.pgh_obj_id}" if record else "",
                    action=ACTIONS.get(event.pgh_label, event.pgh_label),
                    actor=actor_label(context, users),
                    url=(context or {}).get("url", ""),
                    changes=() if event.pgh_label == "delete" else _changes(fields, before, event),
                )
            )
            before = event
    return sorted(entries, key=lambda entry: (entry.at, entry.order), reverse=True)
