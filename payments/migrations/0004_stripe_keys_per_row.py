# Idempotency keys come from a random id of each row (see payments.models.STRIPE_KEY_FIELD): existing
# rows get theirs one by one before the column becomes unique; a Stripe customer's row may now exist
# before its customer does.
import uuid

from django.db import migrations, models


def keys_for_existing_rows(apps, schema_editor):
    for name in ("Payment", "Refund", "StripeCustomer"):
        model = apps.get_model("payments", name)
        for pk in model.objects.filter(stripe_key__isnull=True).values_list("pk", flat=True):
            model.objects.filter(pk=pk).update(stripe_key=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_balance_off_session")]

    operations = [
        *[
            migrations.AddField(
                model_name=name, name="stripe_key", field=models.UUIDField(null=True, editable=False)
            )
            for name in ("payment", "refund", "stripecustomer")
        ],
        migrations.RunPython(keys_for_existing_rows, migrations.RunPython.noop),
        *[
            migrations.AlterField(
                model_name=name,
                name="stripe_key",
                field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
            )
            for name in ("payment", "refund", "stripecustomer")
        ],
        migrations.AlterField(
            model_name="stripecustomer",
            name="customer_id",
            field=models.CharField(blank=True, max_length=255, null=True, unique=True),
        ),
    ]
