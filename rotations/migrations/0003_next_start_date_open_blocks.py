from django.db import migrations

# A rotation's next_start_date counts only blocks still open to applications (last day to apply
# today or later), as the catalog's pages and `bookable_blocks()` do: 0002 counted every block
# not yet started, so a rotation whose only upcoming block had closed sorted first under "soonest
# start" with a date its card did not show. open_seats_until needs no change: it is compared with
# today when read, so it already means "a block open to applications has a seat left".
#
# Time now moves next_start_date when a block's last day to apply passes (not when it starts): the
# daily sweep recomputes only the rotations whose stored date no longer belongs to an open block.
# The day is the caller's when it states one (the sweep passes Django's date, the one the
# selectors use), else the database's; the block triggers of 0002 are unchanged.
SQL = r"""
CREATE FUNCTION rotations_catalog_today() RETURNS date LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('amo.catalog_today', true), '')::date, current_date)
$$;

CREATE OR REPLACE FUNCTION rotations_rotation_maintain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The stored vector is authoritative: a writer that sends back a stale copy (Django's save()
    -- of an object loaded before an organization was renamed) does not overwrite it.
    IF TG_OP = 'INSERT' OR NEW.search_vector IS NULL
       OR NEW.title IS DISTINCT FROM OLD.title OR NEW.description IS DISTINCT FROM OLD.description
       OR NEW.specialty_id IS DISTINCT FROM OLD.specialty_id
       OR NEW.organization_id IS DISTINCT FROM OLD.organization_id THEN
        NEW.search_vector := rotations_rotation_document(
            NEW.title, NEW.description, NEW.specialty_id, NEW.organization_id);
    ELSE
        NEW.search_vector := OLD.search_vector;
    END IF;
    NEW.next_start_date := (SELECT min(b.start_date) FROM rotations_block b
                             WHERE b.rotation_id = NEW.id AND b.apply_by >= rotations_catalog_today());
    NEW.open_seats_until := (SELECT max(b.apply_by) FROM rotations_block b
                              WHERE b.rotation_id = NEW.id AND b.seats_taken < b.capacity);
    RETURN NEW;
END
$$;

-- The open blocks only ever shrink as days pass, so a stored date stays right as long as a block
-- starting that day is still open; only the others are touched (and the BEFORE trigger recomputes
-- them). Returns how many rotations were recomputed.
CREATE FUNCTION rotations_next_start_date_refresh(p_today date) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    moved integer;
BEGIN
    PERFORM set_config('amo.catalog_today', p_today::text, true);
    UPDATE rotations_rotation r SET next_start_date = NULL
     WHERE r.next_start_date IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM rotations_block b
                        WHERE b.rotation_id = r.id AND b.start_date = r.next_start_date
                          AND b.apply_by >= p_today);
    GET DIAGNOSTICS moved = ROW_COUNT;
    PERFORM set_config('amo.catalog_today', '', true);
    RETURN moved;
END
$$;

SELECT rotations_next_start_date_refresh(current_date);
"""

REVERSE_SQL = r"""
DROP FUNCTION rotations_next_start_date_refresh(date);
CREATE OR REPLACE FUNCTION rotations_rotation_maintain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.search_vector IS NULL
       OR NEW.title IS DISTINCT FROM OLD.title OR NEW.description IS DISTINCT FROM OLD.description
       OR NEW.specialty_id IS DISTINCT FROM OLD.specialty_id
       OR NEW.organization_id IS DISTINCT FROM OLD.organization_id THEN
        NEW.search_vector := rotations_rotation_document(
            NEW.title, NEW.description, NEW.specialty_id, NEW.organization_id);
    ELSE
        NEW.search_vector := OLD.search_vector;
    END IF;
    NEW.next_start_date := (SELECT min(b.start_date) FROM rotations_block b
                             WHERE b.rotation_id = NEW.id AND b.start_date >= current_date);
    NEW.open_seats_until := (SELECT max(b.apply_by) FROM rotations_block b
                              WHERE b.rotation_id = NEW.id AND b.seats_taken < b.capacity);
    RETURN NEW;
END
$$;
DROP FUNCTION rotations_catalog_today();
UPDATE rotations_rotation SET next_start_date = NULL;
"""


class Migration(migrations.Migration):
    dependencies = [("rotations", "0002_catalog_search")]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
