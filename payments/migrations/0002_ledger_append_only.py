"""The ledger is append-only: the database itself refuses to change or remove an entry."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION payments_ledger_entry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_ledger_entry_append_only
    BEFORE UPDATE OR DELETE ON payments_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_entry_refuse_change();
"""

REVERSE = """
DROP TRIGGER IF EXISTS payments_ledger_entry_append_only ON payments_ledgerentry;
DROP FUNCTION IF EXISTS payments_ledger_entry_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
