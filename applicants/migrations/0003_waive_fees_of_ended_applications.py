from django.db import migrations

# Final statuses, as in applicants.workflow.FINAL at the time of writing.
FINAL = ["completed", "rejected", "withdrawn", "expired", "cancelled"]


def waive_due_fees_of_ended_applications(apps, schema_editor):
    """Applications that ended before the workflow waived their unpaid fee owe nothing either."""
    Application = apps.get_model("applicants", "Application")
    Application.objects.filter(status__in=FINAL, application_fee_status="due").update(
        application_fee_status="waived"
    )


class Migration(migrations.Migration):
    dependencies = [("applicants", "0002_initial")]

    operations = [migrations.RunPython(waive_due_fees_of_ended_applications, migrations.RunPython.noop)]
