from django.db import migrations


def site_from_settings(apps, schema_editor):
    from amo.services import site_sync

    site_sync(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    """The Site row speaks as the product (SITE_NAME, SITE_URL), not as django.contrib.sites' example.com."""

    dependencies = [
        ("amo", "0002_notification"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(site_from_settings, migrations.RunPython.noop)]
