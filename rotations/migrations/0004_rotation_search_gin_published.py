import django.contrib.postgres.indexes
from django.db import migrations, models

# The search vector is only ever searched among published rotations (rotations.selectors.
# rotation_catalog); the staff admin and the host dashboard find rotations by title. A partial
# GIN index answers "published and matching" by itself, so counting the matches of a broad search
# no longer reads each match's table row to check its status.


class Migration(migrations.Migration):
    dependencies = [("rotations", "0003_next_start_date_open_blocks")]

    operations = [
        migrations.RemoveIndex(model_name="rotation", name="rotation_search_vector_gin"),
        migrations.AddIndex(
            model_name="rotation",
            index=django.contrib.postgres.indexes.GinIndex(
                condition=models.Q(("status", "published")),
                fields=["search_vector"],
                name="rotation_search_gin",
            ),
        ),
    ]
