from django.db import migrations, models

# The tiers of each cancellation policy as rotations.policies.TIERS had them when this was written.
TIERS = {
    "flexible": [(30, 100), (14, 50), (0, 0)],
    "moderate": [(60, 100), (30, 50), (0, 0)],
    "strict": [(90, 50), (0, 0)],
}


def quote_waiting_block_changes(apps, schema_editor):
    """A date change still waiting for the host is quoted its target rotation's terms as they stand
    now, the nearest record there is of what the applicant was shown; decided ones keep none."""
    BlockChange = apps.get_model("applicants", "BlockChange")
    for change in BlockChange.objects.filter(status="requested").select_related("to_block__rotation"):
        rotation = change.to_block.rotation
        change.quoted_terms = {
            "currency": rotation.currency,
            "application_fee_cents": rotation.application_fee_cents,
            "program_fee_cents": rotation.program_fee_cents,
            "deposit_cents": rotation.deposit_cents,
            "balance_due_days_before_start": rotation.balance_due_days_before_start,
            "cancellation_policy": rotation.cancellation_policy,
            "refund_tiers": [
                {"min_days_before_start": days, "refund_percent": percent}
                for days, percent in TIERS[rotation.cancellation_policy]
            ],
        }
        change.save(update_fields=["quoted_terms"])


class Migration(migrations.Migration):
    dependencies = [
        ("applicants", "0008_agreed_terms"),
        ("rotations", "0008_catalog_specialty_cover"),
    ]

    operations = [
        migrations.AddField(
            model_name="blockchange",
            name="quoted_terms",
            field=models.JSONField(
                blank=True,
                help_text="The target rotation's terms when the applicant asked (applicants.terms.Terms.fields): "
                "the price both sides see and approving agrees to. Empty only on changes decided before it was kept.",
                null=True,
            ),
        ),
        migrations.RunPython(quote_waiting_block_changes, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="blockchange",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "requested"), _negated=True),
                    ("quoted_terms__isnull", False),
                    _connector="OR",
                ),
                name="block_change_requested_has_quote",
            ),
        ),
    ]
