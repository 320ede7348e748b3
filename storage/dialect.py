"""What differs between SQLite and PostgreSQL, in one place.

The store's SQL is one text for both: `?` placeholders, `INSERT … ON CONFLICT`, `RETURNING`,
partial indexes and conditional UPDATEs mean the same on SQLite ≥ 3.35 and PostgreSQL ≥ 13. What
does not is here: how a placeholder is written, how a write transaction starts, the two JSON
expressions the audit listing uses, case-insensitive matching, how the append-only guard of the
audit log is lifted for a retention run, and which errors are a named storage fault.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Dialect:
    """One database's spelling of the few things the portable SQL cannot say the same way."""

    name: str
    begin_write: str
    """Starts a write transaction. SQLite takes the write lock first (`BEGIN IMMEDIATE`): a
    deferred transaction that reads before writing fails at once when another process wrote in
    between. PostgreSQL's row locks make conditional UPDATEs safe under a plain `BEGIN`."""
    like: str
    """Case-insensitive LIKE: SQLite's LIKE already is (for ASCII); PostgreSQL's is ILIKE."""

    def sql(self, text: str) -> str:
        """The text the driver takes: SQLite keeps `?`; psycopg wants `%s` (and `%` doubled)."""
        return text if self.name == "sqlite" else _pyformat(text)

    def json_text(self, column: str, key: str) -> str:
        """The text of one top-level key of a JSON object stored as text."""
        if self.name == "sqlite":
            return f"json_extract({column}, '$.{key}')"
        return f"(({column})::json ->> '{key}')"

    def tools_and_args(self, rows: str) -> str:
        """A JSON array text of `{"tool": …, "args": …}` objects over a subquery `rows` (with
        `tool` and `args` columns, args a JSON object text)."""
        if self.name == "sqlite":
            return (f"(SELECT json_group_array(json_object('tool', q.tool, 'args', json(COALESCE(q.args, '{{}}')))) "
                    f"FROM ({rows}) q)")
        return (f"(SELECT COALESCE(json_agg(json_build_object('tool', q.tool, 'args', COALESCE(q.args, '{{}}')::json))"
                f", '[]')::text FROM ({rows}) q)")

    def lift_audit_delete_guard(self, db: Any) -> None:
        """Allow deleting audit rows until `restore_audit_delete_guard`, inside one transaction."""
        if self.name == "sqlite":
            db.execute("DROP TRIGGER audit_no_delete")
        else:
            db.execute("ALTER TABLE audit DISABLE TRIGGER audit_no_delete")

    def restore_audit_delete_guard(self, db: Any) -> None:
        if self.name == "sqlite":
            db.execute(SQLITE_AUDIT_GUARDS[1])
        else:
            db.execute("ALTER TABLE audit ENABLE TRIGGER audit_no_delete")


@functools.lru_cache(maxsize=1024)
def _pyformat(text: str) -> str:
    """`?` → `%s`, a literal `%` → `%%` (the store's SQL has no `?` inside string literals)."""
    return text.replace("%", "%%").replace("?", "%s")


SQLITE = Dialect(name="sqlite", begin_write="BEGIN IMMEDIATE", like="LIKE")
POSTGRESQL = Dialect(name="postgresql", begin_write="BEGIN", like="ILIKE")

SQLITE_AUDIT_GUARDS = (
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)

POSTGRESQL_AUDIT_GUARDS = (
    "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
)


def dialect_of(db: Any) -> Dialect:
    """The dialect of a connection: `storage.postgres.PgDatabase` names its own; sqlite-utils'
    `Database` does not."""
    return getattr(db, "dialect", SQLITE)


def is_postgres_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))
