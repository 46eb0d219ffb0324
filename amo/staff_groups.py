"""The staff groups (made by amo/migrations/0012_staff_groups.py): least privilege in the admin.
Superuser is for the founders only; every other member of staff belongs to one of these."""

PLACEMENT_COORDINATOR = "Placement coordinator"
FINANCE = "Finance"
SUPPORT = "Support"
