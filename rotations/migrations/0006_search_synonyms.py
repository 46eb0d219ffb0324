import django.db.models.functions.text
from django.contrib.postgres.operations import CreateExtension
from django.db import migrations, models

from rotations.states import US_STATES
from rotations.synonyms import synonyms_seed

# The words people type:
# - the document tokenizes as queries do: punctuation is a space ("Pulmonology/Critical Care" was
#   one token, 'pulmonology/critical', that no query could match);
# - a host's state is found by name as well as by code ("texas", "tx"): codes IN, OR and ME are
#   English stop words, so they were not even indexed; the state names are a function frozen from
#   rotations.states when this migration runs;
# - a rotation that offers a letter of recommendation is found by those words (weight D), so
#   "letter of recommendation" and its synonyms ("lor") find it;
# - rotations_search_parse() reads a query once per statement: each word is corrected only when it
#   is not a known word (a catalog word, a state name, a word of a synonym term, a stop word) and
#   only into a catalog word one edit away (two for words of 6+ letters) with a different stem, so
#   "script" no longer becomes "manuscript" nor "indiana" "indianapolis"; then synonym terms,
#   longest first, search for (term | alternative | ...), each as a phrase; the words are ANDed.
#   It returns the words typed and searched (for "Showing results for") and the tsquery, empty
#   when every word is a stop word;
# - the synonym table starts with rotations.synonyms.SEED_SYNONYMS; staff edit it in the admin.
SQL = r"""
CREATE FUNCTION rotations_us_state() RETURNS TABLE (code text, name text) LANGUAGE sql IMMUTABLE AS $$
    VALUES STATE_ROWS
$$;

CREATE FUNCTION rotations_state_name(p_code text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT name FROM rotations_us_state() WHERE code = upper(p_code)
$$;

CREATE FUNCTION rotations_lor_words(p_offers_lor boolean) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_offers_lor THEN 'letter of recommendation' END
$$;

-- A query's words, or a document's text, as the search reads them: lowercase, accents folded,
-- every run of punctuation a single space.
CREATE FUNCTION rotations_search_words(p_text text) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(regexp_split_to_array(
        nullif(trim(regexp_replace(lower(unaccent(coalesce(p_text, ''))), '[^[:alnum:]]+', ' ', 'g')), ''),
        ' '), '{}')
$$;

CREATE FUNCTION rotations_search_text(p_text text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT array_to_string(rotations_search_words(p_text), ' ')
$$;

DROP TRIGGER rotations_rotation_maintain ON rotations_rotation;
DROP FUNCTION rotations_rotation_maintain();
DROP FUNCTION rotations_rotation_document(text, text, bigint, bigint);

CREATE FUNCTION rotations_rotation_document(
    p_title text, p_description text, p_specialty_id bigint, p_organization_id bigint, p_offers_lor boolean
) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('amo_english', rotations_search_text(p_title)), 'A')
        || setweight(to_tsvector('amo_english', rotations_search_text(
               (SELECT s.name FROM rotations_specialty s WHERE s.id = p_specialty_id))), 'B')
        || setweight(to_tsvector('amo_english', rotations_search_text(
               (SELECT concat_ws(' ', o.name, o.city, o.state, rotations_state_name(o.state))
                  FROM hosts_organization o WHERE o.id = p_organization_id))), 'B')
        || setweight(to_tsvector('amo_english', rotations_search_text(p_description)), 'C')
        || setweight(to_tsvector('amo_english', coalesce(rotations_lor_words(p_offers_lor), '')), 'D')
$$;

CREATE FUNCTION rotations_rotation_maintain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The stored vector is authoritative: a writer that sends back a stale copy (Django's save()
    -- of an object loaded before an organization was renamed) does not overwrite it.
    IF TG_OP = 'INSERT' OR NEW.search_vector IS NULL
       OR NEW.title IS DISTINCT FROM OLD.title OR NEW.description IS DISTINCT FROM OLD.description
       OR NEW.specialty_id IS DISTINCT FROM OLD.specialty_id
       OR NEW.organization_id IS DISTINCT FROM OLD.organization_id
       OR NEW.offers_lor IS DISTINCT FROM OLD.offers_lor THEN
        NEW.search_vector := rotations_rotation_document(
            NEW.title, NEW.description, NEW.specialty_id, NEW.organization_id, NEW.offers_lor);
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
CREATE TRIGGER rotations_rotation_maintain BEFORE INSERT OR UPDATE ON rotations_rotation
    FOR EACH ROW EXECUTE FUNCTION rotations_rotation_maintain();

UPDATE rotations_rotation SET search_vector = NULL;

-- The words a query may be corrected into: the published catalog's, with its hosts' state names
-- and the letter of recommendation.
CREATE OR REPLACE FUNCTION rotations_search_word_refresh() RETURNS void LANGUAGE sql AS $$
    DELETE FROM rotations_search_word;
    INSERT INTO rotations_search_word (word)
    SELECT word FROM ts_stat($q$
        SELECT to_tsvector('simple', rotations_search_text(concat_ws(' ',
                   r.title, s.name, o.name, o.city, rotations_state_name(o.state), r.description,
                   rotations_lor_words(r.offers_lor))))
          FROM rotations_rotation r
          JOIN rotations_specialty s ON s.id = r.specialty_id
          JOIN hosts_organization o ON o.id = r.organization_id
         WHERE r.status = 'published'
    $q$)
    WHERE length(word) >= 3 AND word !~ '[0-9]';
$$;

-- The word itself when it is known (a stop word, a catalog word, a state name, a word of a
-- synonym term: read at once, not at the dictionary's daily refresh) or nothing near enough is,
-- else the nearest catalog word. Synonym terms are not corrected into: short abbreviations would
-- capture real words ("call" into "cali").
CREATE FUNCTION rotations_search_correct(p_word text) RETURNS text LANGUAGE plpgsql STABLE
SET client_min_messages = warning AS $$
DECLARE
    nearest text;
BEGIN
    IF length(p_word) < 4
       OR numnode(plainto_tsquery('amo_english', p_word)) = 0
       OR EXISTS (SELECT 1 FROM rotations_search_word w WHERE w.word = p_word)
       OR EXISTS (SELECT 1 FROM rotations_us_state() s WHERE p_word = ANY(rotations_search_words(s.name)))
       OR EXISTS (SELECT 1 FROM rotations_searchsynonym s WHERE p_word = ANY(string_to_array(s.term, ' '))) THEN
        RETURN p_word;
    END IF;
    -- Above pg_trgm's default 0.3 so that a real word missing from the catalog ("heart") is not
    -- turned into another one ("health"); a typo is an edit or two, not a longer word that
    -- contains it ("script", "manuscript").
    SELECT w.word INTO nearest FROM rotations_search_word w
     WHERE w.word % p_word AND similarity(w.word, p_word) > 0.35
       AND levenshtein_less_equal(w.word, p_word, 2) <= CASE WHEN length(p_word) <= 5 THEN 1 ELSE 2 END
     ORDER BY w.word <-> p_word, w.word LIMIT 1;
    -- Another form of the same word ("observerships") needs no correction: the search stems.
    IF nearest IS NULL OR plainto_tsquery('amo_english', nearest) = plainto_tsquery('amo_english', p_word) THEN
        RETURN p_word;
    END IF;
    RETURN nearest;
END
$$;

CREATE FUNCTION rotations_search_parse(p_query text, OUT typed text, OUT searched text, OUT query tsquery)
LANGUAGE plpgsql STABLE SET client_min_messages = warning AS $$
DECLARE
    words text[] := rotations_search_words(p_query);
    n integer := cardinality(words);
    position integer := 1;
    synonym record;
    alternative text;
    part tsquery;
BEGIN
    typed := array_to_string(words, ' ');
    FOR k IN 1..n LOOP
        words[k] := rotations_search_correct(words[k]);
    END LOOP;
    searched := array_to_string(words, ' ');
    query := plainto_tsquery('amo_english', '');
    WHILE position <= n LOOP
        SELECT s.term, s.expands_to INTO synonym FROM rotations_searchsynonym s
         WHERE split_part(s.term, ' ', 1) = words[position]
           AND starts_with(array_to_string(words[position:], ' ') || ' ', s.term || ' ')
         ORDER BY length(s.term) DESC LIMIT 1;
        IF FOUND THEN
            part := phraseto_tsquery('amo_english', synonym.term);
            FOREACH alternative IN ARRAY string_to_array(synonym.expands_to, ',') LOOP
                part := part || phraseto_tsquery('amo_english', alternative);
            END LOOP;
            position := position + cardinality(string_to_array(synonym.term, ' '));
        ELSE
            part := plainto_tsquery('amo_english', words[position]);
            position := position + 1;
        END IF;
        query := query && part;
    END LOOP;
END
$$;

DROP FUNCTION rotations_spell_correct(text);
SELECT rotations_search_word_refresh();
"""

REVERSE_SQL = r"""
DROP FUNCTION rotations_search_parse(text);
DROP FUNCTION rotations_search_correct(text);
CREATE FUNCTION rotations_spell_correct(p_query text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(coalesce(
               CASE WHEN length(t.word) >= 4 THEN
                   (SELECT w.word FROM rotations_search_word w
                     WHERE w.word % t.word AND similarity(w.word, t.word) > 0.35
                     ORDER BY w.word <-> t.word, w.word LIMIT 1)
               END, t.word), ' ' ORDER BY t.n), '')
      FROM regexp_split_to_table(lower(unaccent(p_query)), '[^[:alnum:]]+') WITH ORDINALITY AS t(word, n)
     WHERE t.word <> ''
$$;
CREATE OR REPLACE FUNCTION rotations_search_word_refresh() RETURNS void LANGUAGE sql AS $$
    DELETE FROM rotations_search_word;
    INSERT INTO rotations_search_word (word)
    SELECT word FROM ts_stat($q$
        SELECT to_tsvector('simple', unaccent(concat_ws(' ', r.title, s.name, o.name, o.city, r.description)))
          FROM rotations_rotation r
          JOIN rotations_specialty s ON s.id = r.specialty_id
          JOIN hosts_organization o ON o.id = r.organization_id
         WHERE r.status = 'published'
    $q$)
    WHERE length(word) >= 3 AND word !~ '[0-9]';
$$;
SELECT rotations_search_word_refresh();

DROP TRIGGER rotations_rotation_maintain ON rotations_rotation;
DROP FUNCTION rotations_rotation_maintain();
DROP FUNCTION rotations_rotation_document(text, text, bigint, bigint, boolean);
CREATE FUNCTION rotations_rotation_document(
    p_title text, p_description text, p_specialty_id bigint, p_organization_id bigint
) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('amo_english', coalesce(p_title, '')), 'A')
        || setweight(to_tsvector('amo_english', coalesce(
               (SELECT s.name FROM rotations_specialty s WHERE s.id = p_specialty_id), '')), 'B')
        || setweight(to_tsvector('amo_english', coalesce(
               (SELECT concat_ws(' ', o.name, o.city, o.state) FROM hosts_organization o
                 WHERE o.id = p_organization_id), '')), 'B')
        || setweight(to_tsvector('amo_english', coalesce(p_description, '')), 'C')
$$;
CREATE FUNCTION rotations_rotation_maintain() RETURNS trigger LANGUAGE plpgsql AS $$
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
                             WHERE b.rotation_id = NEW.id AND b.apply_by >= rotations_catalog_today());
    NEW.open_seats_until := (SELECT max(b.apply_by) FROM rotations_block b
                              WHERE b.rotation_id = NEW.id AND b.seats_taken < b.capacity);
    RETURN NEW;
END
$$;
CREATE TRIGGER rotations_rotation_maintain BEFORE INSERT OR UPDATE ON rotations_rotation
    FOR EACH ROW EXECUTE FUNCTION rotations_rotation_maintain();
UPDATE rotations_rotation SET search_vector = NULL;

DROP FUNCTION rotations_search_text(text);
DROP FUNCTION rotations_search_words(text);
DROP FUNCTION rotations_lor_words(boolean);
DROP FUNCTION rotations_state_name(text);
DROP FUNCTION rotations_us_state();
"""


def _sql_values(rows: list[tuple[str, str]]) -> str:
    return ", ".join("('{}', '{}')".format(*(value.replace("'", "''") for value in row)) for row in rows)


def seed_synonyms(apps, schema_editor):
    synonyms_seed(apps.get_model("rotations", "SearchSynonym"))


class Migration(migrations.Migration):
    dependencies = [("rotations", "0005_block_bounds")]

    operations = [
        CreateExtension("fuzzystrmatch"),
        migrations.CreateModel(
            name="SearchSynonym",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("term", models.CharField(help_text='What people type, e.g. "peds" or "letter of recommendation"; stored lowercase, without accents or punctuation ("OB/GYN" is kept as "ob gyn").', max_length=100, unique=True)),
                ("expands_to", models.CharField(help_text='What the term also searches for: words matched as a phrase, alternatives separated by commas, e.g. "otolaryngology, ear nose and throat".', max_length=300)),
            ],
            options={
                "ordering": ["term"],
                "indexes": [models.Index(models.Func("term", models.Value(" "), models.Value(1), function="split_part"), name="search_synonym_first_word")],
                "constraints": [models.CheckConstraint(condition=models.Q(("term__regex", "^[[:alnum:]]+( [[:alnum:]]+)*$"), ("term", django.db.models.functions.text.Lower("term"))), name="search_synonym_term_normalized")],
            },
        ),
        migrations.RunPython(seed_synonyms, migrations.RunPython.noop),
        migrations.RunSQL(SQL.replace("STATE_ROWS", _sql_values(US_STATES)), REVERSE_SQL),
    ]
