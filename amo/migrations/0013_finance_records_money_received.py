"""Money an applicant paid another way (a bank transfer, cash) is recorded by finance, as refunds and
payouts are: the Finance group gets the permission to add a payment (the admin's "Record money
received" page asks for it). The placement coordinators never held it."""

from django.db import migrations

GRANTED = [("payments", "add_payment")]


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in GRANTED
    ]


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name="Finance")
    group.permissions.add(*_permissions(apps))


def take_back(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name="Finance"):
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [("amo", "0012_staff_groups")]

    operations = [migrations.RunPython(grant, take_back)]
