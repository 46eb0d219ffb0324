"""Three staff groups with the model permissions their work needs, and nothing more.

- Placement coordinator: views and changes everything about applicants (applications, documents,
  advisors, letters of recommendation, evaluations, reviews, visa denials, block changes), opens
  documents' and letters' files; views rotations, hosts and the people behind them.
- Finance: views payments, refunds, payouts and the ledger, refunds and records payouts; views the
  applications and hosts the money is about, never documents, letters or evaluations.
- Support: views everything of ours except documents' and letters' files and evaluations; changes
  nothing.

The permissions are what the models had when this migration was written (a later model needs a
migration of its own to join a group).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OUR_APPS = ["amo", "hosts", "rotations", "applicants", "payments"]
PRIVATE = {"view_document_file", "view_letter_file", "view_evaluation"}

COORDINATOR_AMO = {"view_user", "view_notification", "view_reminder", "view_auditevent"}
FINANCE_PERMISSIONS = {
    "payments": {"add_refund", "change_refund", "change_payment", "add_ledgerentry"},
    "applicants": {"view_application"},
    "hosts": {"view_organization"},
    "rotations": {"view_rotation", "view_block"},
    "amo": {"view_user", "view_auditevent"},
}


def _make_permissions(apps) -> None:
    """Permissions are made after all migrations (post_migrate): make ours now, to hand them out."""
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_groups(apps, schema_editor):
    _make_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ours = Permission.objects.filter(content_type__app_label__in=OUR_APPS)

    def of(app_label: str, codenames) -> list:
        return list(ours.filter(content_type__app_label=app_label, codename__in=codenames))

    coordinator = [
        *ours.filter(content_type__app_label="applicants").exclude(codename__startswith="add_").exclude(
            codename__startswith="delete_"
        ),
        *ours.filter(content_type__app_label__in=["rotations", "hosts"], codename__startswith="view_"),
        *of("amo", COORDINATOR_AMO),
    ]
    finance = [
        *ours.filter(content_type__app_label="payments", codename__startswith="view_"),
        *(permission for app_label, codenames in FINANCE_PERMISSIONS.items() for permission in of(app_label, codenames)),
    ]
    support = list(ours.filter(codename__startswith="view_").exclude(codename__in=PRIVATE))
    for name, permissions in [
        ("Placement coordinator", coordinator),
        ("Finance", finance),
        ("Support", support),
    ]:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Placement coordinator", "Finance", "Support"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("amo", "0011_staff_access"),
        ("applicants", "0016_document_file_permission"),
        ("hosts", "0007_audit_trail"),
        ("payments", "0010_audit_trail"),
        ("rotations", "0010_audit_trail"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
