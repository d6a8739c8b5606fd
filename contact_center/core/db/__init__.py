"""Tables, engines and migrations."""


class DatabaseNotReady(Exception):
    """The database cannot be used by this version of the code; the message says what to do.

    Defined here, not in `migrate`, so the CLI can catch it without importing Alembic.
    """
