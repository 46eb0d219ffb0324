"""Slugs for rows that are addressed by one (rotations, host organizations), safe under races."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils.text import slugify

SLUG_ATTEMPTS = 5


def unique_slug(model: type[Model], text: str, *, max_length: int = 200) -> str:
    """A slug of `text` that no row of `model` has yet (suffixed -2, -3… when taken)."""
    base = slugify(text)[:max_length] or model._meta.model_name
    slug, n = base, 1
    while model._default_manager.filter(slug=slug).exists():
        n += 1
        slug = f"{base[: max_length - len(str(n)) - 1]}-{n}"
    return slug


def _is_slug_taken(error: IntegrityError, model: type[Model]) -> bool:
    """Whether `error` is `model`'s unique slug index refusing a row, and no other constraint."""
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    if constraint is None:
        return False
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table).get(constraint)
    return bool(found and found["unique"] and found["columns"] == ["slug"])


def insert_with_free_slug(instance: Model, text: str, *, max_length: int = 200) -> None:
    """Insert `instance` under a free slug of `text`, seeking again if it was just taken.

    Two creations with the same name can both find a slug free before either inserts; the unique
    index then refuses the later one. Its insert is undone alone (a savepoint) and the slug sought
    again, now seeing the committed row. Any other integrity error is raised as it is.
    """
    model = type(instance)
    for attempt in range(1, SLUG_ATTEMPTS + 1):
        instance.slug = unique_slug(model, text, max_length=max_length)
        try:
            with transaction.atomic():
                instance.save(force_insert=True)
            return
        except IntegrityError as error:
            if attempt == SLUG_ATTEMPTS or not _is_slug_taken(error, model):
                raise
