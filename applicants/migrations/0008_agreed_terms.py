from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

# The tiers of each cancellation policy as rotations.policies.TIERS had them when this was written:
# what the applications already sent agreed to, whatever the code says later.
TIERS = {
    "flexible": [(30, 100), (14, 50), (0, 0)],
    "moderate": [(60, 100), (30, 50), (0, 0)],
    "strict": [(90, 50), (0, 0)],
}


def fix_terms_of_sent_applications(apps, schema_editor):
    """Every application already sent agreed to its rotation's terms as they stand now, the nearest
    record there is; its application fee and currency were copied when it was made and stay."""
    Application = apps.get_model("applicants", "Application")
    Rotation = apps.get_model("rotations", "Rotation")
    rotation = Rotation.objects.filter(blocks=OuterRef("block"))
    for policy, tiers in TIERS.items():
        Application.objects.exclude(status="draft").filter(
            block__rotation__cancellation_policy=policy
        ).update(
            program_fee_cents=Subquery(rotation.values("program_fee_cents")[:1]),
            deposit_cents=Subquery(rotation.values("deposit_cents")[:1]),
            balance_due_days_before_start=Subquery(rotation.values("balance_due_days_before_start")[:1]),
            cancellation_policy=policy,
            refund_tiers=[
                {"min_days_before_start": days, "refund_percent": percent} for days, percent in tiers
            ],
            terms_agreed_at=Coalesce("submitted_at", "created_at"),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("applicants", "0007_visa_denials_and_resale"),
        ("rotations", "0008_catalog_specialty_cover"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="balance_due_days_before_start",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="application",
            name="cancellation_policy",
            field=models.CharField(
                blank=True,
                choices=[("flexible", "Flexible"), ("moderate", "Moderate"), ("strict", "Strict")],
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="application",
            name="deposit_cents",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="application",
            name="program_fee_cents",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="application",
            name="refund_tiers",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="application",
            name="terms_agreed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(fix_terms_of_sent_applications, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="application",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("submitted_at__isnull", True),
                    models.Q(
                        ("terms_agreed_at__isnull", False),
                        models.Q(("cancellation_policy", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="application_sent_has_agreed_terms",
            ),
        ),
        migrations.AddConstraint(
            model_name="application",
            constraint=models.CheckConstraint(
                condition=models.Q(("deposit_cents__lte", models.F("program_fee_cents"))),
                name="application_deposit_within_program_fee",
            ),
        ),
    ]
