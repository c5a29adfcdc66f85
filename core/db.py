"""Small database helpers shared by the services."""

from collections.abc import Callable
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.sql.compiler import SQLCompiler

from core.errors import NotFound


def lock_existing(instance: models.Model) -> None:
    """Lock the instance's row until the transaction ends; NotFound when it was deleted meanwhile.

    Call it inside transaction.atomic() before saving changes to a row someone may delete
    concurrently: a plain save() would re-insert a deleted row, or fail with a DatabaseError.
    """
    model = type(instance)
    if not model._default_manager.select_for_update().filter(pk=instance.pk).exists():
        raise NotFound(f"{model._meta.verbose_name.capitalize()} {instance.pk} not found.")


class CompiledQuery:
    """A read query compiled by the ORM once per database connection and then run with new
    parameter values: for the hottest reads, where compiling the queryset on every request
    costs more than running it.

    `make_queryset(*placeholders)` builds a values_list() queryset; the placeholder values
    (unusual numbers, each distinct) mark where the runtime values go. Rows come back as tuples
    with the ORM's own converters applied (dates and decimals on SQLite, for instance).
    """

    def __init__(self, make_queryset: Callable[..., models.QuerySet], *placeholders: object) -> None:
        self._make_queryset = make_queryset
        self._placeholders = placeholders
        # Keyed by the connection wrapper: it is per thread, and its compiler is bound to it.
        self._compiled: WeakKeyDictionary[BaseDatabaseWrapper, _Compiled] = WeakKeyDictionary()

    def rows(self, *values: object, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        connection = connections[using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compiled[connection] = self._compile(using)
        params = list(compiled.params)
        for position, value in zip(compiled.positions, values, strict=True):
            params[position] = value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = [tuple(row) for row in compiled.compiler.apply_converters(rows, compiled.converters)]
        return rows

    def _compile(self, using: str) -> "_Compiled":
        compiler = self._make_queryset(*self._placeholders).query.get_compiler(using)
        sql, params = compiler.as_sql()
        positions = [params.index(placeholder) for placeholder in self._placeholders]
        if len(set(positions)) != len(positions) or any(params.count(p) != 1 for p in self._placeholders):
            raise ValueError("each placeholder must appear exactly once among the query's parameters")
        converters = compiler.get_converters([column for column, _, _ in compiler.select[: compiler.col_count]])
        return _Compiled(sql, tuple(params), positions, compiler, converters)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    positions: list[int]
    compiler: SQLCompiler
    converters: dict
