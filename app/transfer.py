"""Move every record of a deployment to another database: `llm-tco export-all` and `llm-tco import`.

The document is JSON (docs/data-transfer.md):

    {"format": "llm-tco-export", "version": 1, "schema": <alembic revision>, "exported_at": <ISO UTC>,
     "tables": {<table>: [<row>, ...ordered by primary key], ...}}

Every table of app/db/models.py is exported, except those in EXCLUDED (ephemeral: sign-in sessions and
failed sign-in counters). The list comes from SQLModel.metadata, so a table added later is exported
unless someone excludes it on purpose (tests/ops/test_transfer.py fails on a table that is neither).
Datetimes are ISO 8601 with their offset (always UTC), JSON columns are JSON, the rest as they are.

An import goes into a database at the same schema revision that holds no row in any exported table,
in one transaction: every row or none. Primary keys are kept, so every reference stays right; on
PostgreSQL each id sequence is then moved past the largest id, so new rows do not collide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Table, TypeDecorator, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel

import app.db.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from app.db.migrate import head

FORMAT = "llm-tco-export"
VERSION = 1

EXCLUDED = frozenset({"user_session", "sign_in_failure"})
"""Tables left out on purpose: signed-in browsers (everyone signs in again on the new database) and
failed sign-in counters (they only slow down guessing, and expire by themselves)."""


class TransferError(ValueError):
    """An export or import refused, with the reason in words; an import refused changed nothing."""


def tables() -> list[Table]:
    """The exported tables, parents before children (the order rows are inserted in)."""
    return [table for table in SQLModel.metadata.sorted_tables if table.name not in EXCLUDED]


def _check_schema(connection: Connection, what: str) -> str:
    current = MigrationContext.configure(connection).get_current_revision()
    if current != head():
        raise TransferError(
            f"the {what} database is at schema revision {current or '(none: not migrated)'}, "
            f"this version of LLM TCO needs {head()}: run `llm-tco migrate` on it first"
        )
    return current


# --- export ---


def _ordered(table: Table) -> Any:
    return select(table).order_by(*table.primary_key.columns)


def _out(table: Table, column: str, value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | dict | list):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise TransferError(f"{table.name}.{column} holds a datetime without a time zone: {value}")
        return value.isoformat()
    raise TransferError(f"{table.name}.{column} holds a {type(value).__name__}, which this export cannot carry")


def export_all(session: Session) -> dict[str, Any]:
    """Every row of every exported table, as the JSON document described above.

    Every table is read from one snapshot, however busy the database: on PostgreSQL one REPEATABLE
    READ transaction (provided the session has not started a transaction yet); on SQLite an explicit
    BEGIN, since pysqlite starts no transaction for a SELECT, and in WAL mode a read transaction sees
    one state of the file while writers go on.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and not session.in_transaction():
        connection = session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        connection = session.connection()
        if dialect == "sqlite" and not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN")
    schema = _check_schema(connection, "source")
    exported: dict[str, list[dict[str, Any]]] = {}
    for table in tables():
        rows = connection.execute(_ordered(table)).mappings()
        exported[table.name] = [{name: _out(table, name, value) for name, value in row.items()} for row in rows]
    session.rollback()  # read only: end the snapshot
    return {
        "format": FORMAT,
        "version": VERSION,
        "schema": schema,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "tables": exported,
    }


# --- import ---


def _python_type(column: Column[Any]) -> type | None:
    """The Python type a column holds (a TypeDecorator's, such as UTCDateTime's, is its impl's)."""
    sql_type = column.type
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    try:
        kind: type = sql_type.python_type
    except NotImplementedError:
        return None
    return kind


def _in(table: Table, column: Column[Any], value: Any, where: str) -> Any:
    """A document value as the column takes it, or TransferError saying what is wrong."""
    if value is None:
        if not column.nullable:
            raise TransferError(f"{where}: {column.name} is null, and the column may not be")
        return None
    kind = _python_type(column)
    bad = TransferError(f"{where}: {column.name} is {value!r}, not a {getattr(kind, '__name__', 'value')}")
    if kind is dt.datetime:
        if not isinstance(value, str):
            raise bad
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise bad from None
        if parsed.tzinfo is None:
            raise TransferError(f"{where}: {column.name} is {value!r}, an ISO datetime without its offset")
        return parsed
    if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise bad
    if kind is float and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise bad
    if kind is bool and not isinstance(value, bool):
        raise bad
    if kind is str:
        if not isinstance(value, str):
            raise bad
        length = getattr(column.type, "length", None)
        if length is not None and len(value) > length:
            raise TransferError(f"{where}: {column.name} has {len(value)} characters, at most {length} fit")
    return value


def _rows(table: Table, rows: Any) -> Iterator[dict[str, Any]]:
    """The document's rows of `table`, checked against its columns and converted, one at a time."""
    columns = {column.name: column for column in table.columns}
    for number, row in enumerate(rows, start=1):
        where = f"table {table.name}, row {number}"
        if not isinstance(row, dict):
            raise TransferError(f"{where}: not an object")
        if row.keys() != columns.keys():
            missing = sorted(columns.keys() - row.keys())
            unknown = sorted(row.keys() - columns.keys())
            raise TransferError(f"{where}: missing columns {missing}, unknown columns {unknown}")
        yield {name: _in(table, column, row[name], where) for name, column in columns.items()}


def check_document(document: Any) -> Mapping[str, list[Any]]:
    """The document's tables, after checking its format, version, schema revision and table names."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise TransferError(f'not an LLM TCO export: its "format" should be "{FORMAT}" (made by `llm-tco export-all`)')
    if document.get("version") != VERSION:
        raise TransferError(f"export format version {document.get('version')!r}: this LLM TCO reads version {VERSION}")
    if document.get("schema") != head():
        raise TransferError(
            f"the export was made at schema revision {document.get('schema')!r}, this LLM TCO is at {head()}: "
            "import it with the LLM TCO version that exported it (then upgrade), or export again from a "
            "database migrated to this version (`llm-tco migrate`, then `llm-tco export-all`)"
        )
    found = document.get("tables")
    if not isinstance(found, dict):
        raise TransferError('the export has no "tables" object')
    expected = {table.name for table in tables()}
    if found.keys() != expected:
        missing, unknown = sorted(expected - found.keys()), sorted(found.keys() - expected)
        raise TransferError(f"the export's tables do not match: missing {missing}, unknown {unknown}")
    for name, rows in found.items():
        if not isinstance(rows, list):
            raise TransferError(f"table {name}: not a list of rows")
    return found


def counts(session: Session) -> dict[str, int]:
    """Rows per exported table."""
    return {
        table.name: int(session.execute(select(func.count()).select_from(table)).scalar_one()) for table in tables()
    }


def _reset_sequences(connection: Connection) -> None:
    """PostgreSQL: the next id of each table is past the largest one imported (1 when empty)."""
    quote = connection.dialect.identifier_preparer.quote
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        name, key = quote(table.name), quote(column.name)
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), COALESCE(MAX({key}), 0) + 1, false) "
                f"FROM {name}"
            ),
            {"table": name, "column": column.name},
        )


def import_all(session: Session, document: Any) -> dict[str, int]:
    """Insert every row of `document` (as parsed from JSON) into an empty database at the same schema
    revision: all in one transaction, primary keys kept. Rows per table; TransferError, with nothing
    changed, when the document or the database is not fit.

    The database must be migrated first (`app.db.migrate.upgrade`, which `llm-tco import` runs).
    """
    found = check_document(document)
    current = ""
    try:
        connection = session.connection()
        _check_schema(connection, "target")
        filled = {name: n for name, n in counts(session).items() if n}
        if filled:
            held = ", ".join(f"{name} holds {n} row{'s' if n != 1 else ''}" for name, n in filled.items())
            raise TransferError(
                f"the target database is not empty ({held}): import only into a new database, "
                "so that nothing in it is mixed with or overwritten by the export"
            )
        inserted: dict[str, int] = {}
        for table in tables():
            current = table.name
            batch: list[dict[str, Any]] = []
            inserted[table.name] = 0
            for row in _rows(table, found[table.name]):
                batch.append(row)
                if len(batch) == 500:
                    connection.execute(table.insert(), batch)
                    inserted[table.name] += len(batch)
                    batch = []
            if batch:
                connection.execute(table.insert(), batch)
                inserted[table.name] += len(batch)
        current = ""
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection)
        session.commit()
    except DBAPIError as exc:
        session.rollback()
        message = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        where = f" of table {current}" if current else ""
        raise TransferError(f"the database refused a row{where}, so nothing was imported: {message}") from exc
    except BaseException:
        session.rollback()
        raise
    return inserted
