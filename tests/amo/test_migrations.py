import contextlib
import re
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.core.management import call_command
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader

# A plain CREATE INDEX (or DROP INDEX) locks its table against every write until it is done:
# minutes on a large catalog, during which nobody can apply, pay or edit a rotation. On a table
# that already exists an index is built CONCURRENTLY, in a non-atomic migration; a table created
# in the same migration is empty, so its indexes may come with it.
CREATE_INDEX = re.compile(
    r"\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY\b)(?:IF\s+NOT\s+EXISTS\s+)?\S+\s+ON\s+(?:ONLY\s+)?\"?(\w+)",
    re.IGNORECASE,
)
CREATE_TABLE = re.compile(r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?(\w+)", re.IGNORECASE)


def _sql_texts(operation: migrations.RunSQL) -> list[str]:
    sql = operation.sql
    statements = [sql] if isinstance(sql, str) else sql
    return [statement if isinstance(statement, str) else statement[0] for statement in statements]


def locking_index_operations(app_label: str, migration: migrations.Migration) -> list[str]:
    """The operations of `migration` that build or drop an index on an existing table under lock.

    An initial migration builds on tables that are empty: makemigrations splits an app's first
    schema over 0001_initial and 0002_initial when apps refer to each other.
    """
    if migration.initial:
        return []
    created_models = {op.name_lower for op in migration.operations if isinstance(op, migrations.CreateModel)}
    created_tables = {
        op.options.get("db_table", f"{app_label}_{op.name_lower}")
        for op in migration.operations
        if isinstance(op, migrations.CreateModel)
    }
    for operation in migration.operations:
        if isinstance(operation, migrations.RunSQL):
            created_tables.update(CREATE_TABLE.findall(" ".join(_sql_texts(operation))))
    found = []
    for operation in migration.operations:
        if isinstance(operation, migrations.AddIndex | migrations.RemoveIndex):
            concurrent = isinstance(operation, AddIndexConcurrently | RemoveIndexConcurrently)
            if not concurrent and operation.model_name_lower not in created_models:
                found.append(operation.describe())
        elif isinstance(operation, migrations.RunSQL):
            for table in CREATE_INDEX.findall(" ".join(_sql_texts(operation))):
                if table not in created_tables:
                    found.append(f"RunSQL: CREATE INDEX on {table} without CONCURRENTLY")
    return found


@pytest.mark.django_db
def test_models_and_migrations_agree():
    said = StringIO()
    with contextlib.suppress(SystemExit):  # what --check does when a migration is missing
        call_command("makemigrations", "--check", "--dry-run", stdout=said)
    assert said.getvalue().strip() == "No changes detected", said.getvalue()


def test_every_index_on_an_existing_table_is_built_concurrently():
    ours = {
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(settings.BASE_DIR) and ".venv" not in Path(config.path).parts
    }
    assert {"amo", "rotations", "applicants", "hosts", "payments"} <= ours
    loader = MigrationLoader(None, ignore_no_migrations=True)
    offences = {
        f"{app_label}.{name}": found
        for (app_label, name), migration in loader.disk_migrations.items()
        if app_label in ours and (found := locking_index_operations(app_label, migration))
    }
    assert offences == {}, "use AddIndexConcurrently / CREATE INDEX CONCURRENTLY in a non-atomic migration"


def test_the_index_guard_tells_a_locking_index_from_a_concurrent_or_new_tables_one():
    index = models.Index(fields=["status"], name="rotation_status_idx")
    locking = migrations.Migration("0099_locking", "rotations")
    locking.operations = [
        migrations.AddIndex(model_name="rotation", index=index),
        migrations.RemoveIndex(model_name="rotation", name="rotation_search_gin"),
        migrations.RunSQL("CREATE INDEX rotation_title ON rotations_rotation (title);"),
        migrations.RunSQL(["CREATE UNIQUE INDEX IF NOT EXISTS block_start ON rotations_block (start_date)"]),
    ]
    assert len(locking_index_operations("rotations", locking)) == 4

    harmless = migrations.Migration("0099_harmless", "rotations")
    harmless.atomic = False
    harmless.operations = [
        AddIndexConcurrently(model_name="rotation", index=index),
        RemoveIndexConcurrently(model_name="rotation", name="rotation_search_gin"),
        migrations.RunSQL("CREATE INDEX CONCURRENTLY IF NOT EXISTS title_idx ON rotations_rotation (title)"),
        migrations.CreateModel("Waitlist", [("id", models.BigAutoField(primary_key=True))]),
        migrations.AddIndex(model_name="waitlist", index=models.Index(fields=["id"], name="waitlist_idx")),
        migrations.RunSQL("CREATE TABLE rotations_word (w text); CREATE INDEX w_idx ON rotations_word (w);"),
        migrations.RunSQL("CREATE INDEX waitlist_id ON rotations_waitlist (id)"),
    ]
    assert locking_index_operations("rotations", harmless) == []
    locking.initial = True
    assert locking_index_operations("rotations", locking) == []
