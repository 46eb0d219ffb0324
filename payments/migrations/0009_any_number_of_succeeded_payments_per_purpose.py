from django.db import migrations


class Migration(migrations.Migration):
    """Money Stripe took is always recorded: a second success for a purpose is refunded as paid
    twice instead of being refused by the database and left unrecorded."""

    dependencies = [
        ("payments", "0008_payment_received_another_way"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="payment", name="payment_one_succeeded_per_purpose"),
    ]
