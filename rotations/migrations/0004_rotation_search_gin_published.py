import django.contrib.postgres.indexes
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models

# The search vector is only ever searched among published rotations (rotations.selectors.
# rotation_catalog); the staff admin and the host dashboard find rotations by title. A partial
# GIN index answers "published and matching" by itself, so counting the matches of a broad search
# no longer reads each match's table row to check its status.
#
# The new index is built before the old one goes, so searches never go without one. Both are
# built and dropped CONCURRENTLY (hence atomic = False): a plain CREATE INDEX holds a lock that
# blocks every write to the rotation table for as long as the build takes, minutes on a large
# catalog. tests/amo/test_migrations.py keeps every index on an existing table concurrent.


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("rotations", "0003_next_start_date_open_blocks")]

    operations = [
        AddIndexConcurrently(
            model_name="rotation",
            index=django.contrib.postgres.indexes.GinIndex(
                condition=models.Q(("status", "published")),
                fields=["search_vector"],
                name="rotation_search_gin",
            ),
        ),
        RemoveIndexConcurrently(model_name="rotation", name="rotation_search_vector_gin"),
    ]
