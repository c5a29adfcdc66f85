"""Small database helpers shared by the services."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import request_started
from django.db import DEFAULT_DB_ALIAS, connections, models, reset_queries

from core.errors import NotFound


def lock_existing(instance: models.Model) -> None:
    """Lock the instance's row until the transaction ends; NotFound when it was deleted meanwhile.

    Call it inside transaction.atomic() before saving changes to a row someone may delete
    concurrently: a plain save() would re-insert a deleted row, or fail with a DatabaseError.
    """
    model = type(instance)
    if not model._default_manager.select_for_update().filter(pk=instance.pk).exists():
        raise NotFound(f"{model._meta.verbose_name.capitalize()} {instance.pk} not found.")


def skip_query_log_reset() -> None:
    """With DEBUG off, stop clearing every connection's query log at the start of each request.

    Django connects reset_queries to request_started unconditionally, but the log is only written
    with DEBUG on (CaptureQueriesContext, which logs without it, disconnects the receiver itself
    while it captures). Walking the connections for it cost an uncached read 4% of its throughput.
    Decided at startup: DEBUG switched on later (override_settings) logs queries that are then not
    cleared between requests, up to the log's bound of 9,000.
    """
    if not settings.DEBUG:
        request_started.disconnect(reset_queries)


def refresh_planner_statistics(model_classes: list[type[models.Model]], using: str = DEFAULT_DB_ALIAS) -> None:
    """Let the database's query planner see what a bulk load put in these tables. Without it,
    MariaDB joined a customer's tickets to every part before their lines: 900 µs a query
    instead of 100."""
    connection = connections[using]
    tables = [connection.ops.quote_name(model._meta.db_table) for model in model_classes]
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            if connection.in_atomic_block:
                return  # ANALYZE TABLE would commit the caller's transaction
            cursor.execute(f"ANALYZE TABLE {', '.join(tables)}")
            cursor.fetchall()  # MariaDB answers with a status row per table
        elif connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {', '.join(tables)}")
        elif connection.vendor == "sqlite":
            for table in tables:
                cursor.execute(f"ANALYZE {table}")


class CompiledQuery:
    """A read query compiled by the ORM once per database and then run with new parameter
    values: for the hottest reads, where compiling the queryset on every request costs more
    than running it.

    `make_queryset(*placeholders)` builds a values_list() queryset; the placeholder values
    (unusual numbers, each distinct) mark where the runtime values go. Rows come back as tuples
    with the ORM's own converters applied (dates and decimals on SQLite, for instance).
    """

    def __init__(self, make_queryset: Callable[..., models.QuerySet], *placeholders: object) -> None:
        self._make_queryset = make_queryset
        self._placeholders = placeholders
        # By alias: the SQL depends on the backend only. Nothing here holds a connection, which
        # is per thread and must be free to go when its thread does.
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, *values: object, using: str = DEFAULT_DB_ALIAS, cursor=None) -> list[tuple]:
        """The rows for these values. Queries that run together may share a `cursor` (a Django
        cursor of the database they read): opening one costs about as much as running a query."""
        if cursor is None:
            with connections[using].cursor() as cursor:
                return self.rows(*values, cursor=cursor)
        connection, using = cursor.db, cursor.db.alias
        compiled = self._compiled.get(using)
        if compiled is None or compiled.vendor != connection.vendor:
            compiled = self._compiled[using] = self._compile(using)
        params = list(compiled.params)
        for position, value in zip(compiled.positions, values, strict=True):
            params[position] = value
        cursor.execute(compiled.sql, params)
        rows = list(cursor.fetchall())  # MySQLdb returns a tuple of rows
        converters = self._converters(connection, compiled)
        if not converters:
            return rows
        # What SQLCompiler.apply_converters does for the ORM's own queries.
        converted = []
        for row in rows:
            row = list(row)
            for position, functions, expression in converters:
                for convert in functions:
                    row[position] = convert(row[position], expression, connection)
            converted.append(tuple(row))
        return converted

    def _converters(self, connection, compiled: "_Compiled") -> list:
        # The backend's converters are bound to the connection, so they are kept on it: they go
        # when the connection does, and a new connection builds its own.
        per_connection = connection.__dict__.setdefault("_compiled_query_converters", {})
        found = per_connection.get(compiled)
        if found is None:
            found = per_connection[compiled] = [
                (position, functions, expression)
                for position, expression in enumerate(compiled.columns)
                if (functions := connection.ops.get_db_converters(expression) + expression.get_db_converters(connection))
            ]
        return found

    def _compile(self, using: str) -> "_Compiled":
        compiler = self._make_queryset(*self._placeholders).query.get_compiler(using)
        sql, params = compiler.as_sql()
        if any(params.count(placeholder) != 1 for placeholder in self._placeholders):
            raise ValueError("each placeholder must appear exactly once among the query's parameters")
        positions = [params.index(placeholder) for placeholder in self._placeholders]
        columns = [column for column, _, _ in compiler.select[: compiler.col_count]]
        return _Compiled(compiler.connection.vendor, sql, tuple(params), positions, columns)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity
class _Compiled:
    vendor: str
    sql: str
    params: tuple
    positions: list[int]
    columns: list
