"""Database helpers shared by the dev launcher (tools/devstack.py) and `manage.py bench`.

Imports nothing from Django, so the launcher can use it before Django is set up.
"""


def create_database_if_missing(name: str, **connect) -> None:
    """Create database `name` on the server `connect` names (psycopg2 arguments) unless it exists."""
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", **connect)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
