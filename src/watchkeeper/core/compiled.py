"""Hot queries with their SQL built once per database connection, then only executed.

Django compiles a queryset to SQL each time it is evaluated, and save() compiles its INSERT. On a
page that is noise; in the chat writer, which loads a chat and its ticket and inserts a message for
every chat message, compiling cost more than everything else it does per message (loading the chat
with its relations: 1.5 ms, of which running the SQL 0.02 ms), against the 1 ms a chat message may
cost in all (DESIGN.md "Real time", benchmarks/chat_load.py).

CompiledQuery builds its queryset with stand-in values, compiles it once per connection, and from
then on runs that SQL with the real values. Rows become model instances through `Model.from_db()`
after Django's own converters, as iterating the queryset makes them: every concrete field of the model,
and optionally of one object it points to (select_related of a single forward relation). Every
argument must reach the SQL as a parameter (a value Django inlines or transforms is refused).

CompiledInsert is save() of a new instance with plain field values: pre_save() (auto_now_add ...),
the fields' conversion for the database, the save signals, one INSERT ... RETURNING its key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet, signals
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)

# Stand-ins are unlike the constants of a query, so each is found among the compiled parameters. An int
# stays within a 32-bit column's range: Django drops a comparison with a value outside it from the SQL.
_STAND_INS: dict[type, Callable[[int], Any]] = {
    int: lambda position: 2_000_000_000 + position,
    str: lambda position: f"\x00compiled-query-argument-{position}",
}


@dataclass(frozen=True)
class _Compiled:
    compiler: SQLCompiler
    sql: str
    # Per parameter of the SQL: the position of the argument it takes, or None for a constant.
    slots: list[int | None]
    constants: list[Any]
    converters: dict[int, Any]
    names: list[str]  # the model's attnames, in the order of the SELECT
    related_names: list[str]  # then the related model's
    related_model: type[Model] | None
    related_key: int  # where the related row's primary key is, past the model's columns


class CompiledQuery(Generic[M]):
    """`build(*arguments)` makes a queryset of `model` (filters, ordering, slicing); `kinds` are the
    arguments' types (int or str); `related` names a forward relation to load with each row."""

    def __init__(
        self, model: type[M], build: Callable[..., QuerySet[M]], *kinds: type, related: str = ""
    ) -> None:
        self.model = model
        self.build = build
        self.related = related
        self.stand_ins = [_STAND_INS[kind](position) for position, kind in enumerate(kinds)]
        # Per connection, so each thread runs its own compiler (which holds its connection).
        self.compiled: WeakKeyDictionary[BaseDatabaseWrapper, _Compiled] = WeakKeyDictionary()
        self.lock = threading.Lock()

    def all(self, *arguments: Any) -> list[M]:
        connection = connections[router.db_for_read(self.model)]
        compiled = self.compiled.get(connection)
        if compiled is None:
            with self.lock:
                compiled = self.compiled[connection] = self._compile(connection)
        params = [
            compiled.constants[index] if slot is None else arguments[slot]
            for index, slot in enumerate(compiled.slots)
        ]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows: Sequence[Any] = cursor.fetchall()
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        count = len(compiled.names)
        found = []
        for row in rows:
            instance = self.model.from_db(connection.alias, compiled.names, row[:count])
            if compiled.related_model is not None and row[count + compiled.related_key] is not None:
                target = compiled.related_model.from_db(connection.alias, compiled.related_names, row[count:])
                setattr(instance, self.related, target)
            found.append(instance)
        return found

    def first(self, *arguments: Any) -> M | None:
        """The first row's instance (for a lookup by a unique key), or None."""
        found = self.all(*arguments)
        return found[0] if found else None

    def _compile(self, connection: BaseDatabaseWrapper) -> _Compiled:
        names = [field.attname for field in self.model._meta.concrete_fields]
        related_model: type[Model] | None = None
        related_names: list[str] = []
        related_key = 0
        if self.related:
            related_model = self.model._meta.get_field(self.related).related_model
            assert related_model is not None  # a forward relation: checked by Django when building
            related_names = [field.attname for field in related_model._meta.concrete_fields]
            related_key = related_names.index(related_model._meta.pk.attname)
        queryset = self.build(*self.stand_ins).values_list(
            *names, *(f"{self.related}__{name}" for name in related_names)
        )
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        slots = [self.stand_ins.index(param) if param in self.stand_ins else None for param in params]
        missing = set(range(len(self.stand_ins))) - set(slots)
        if missing:
            raise ValueError(f"Arguments {sorted(missing)} do not reach the SQL as parameters.")
        return _Compiled(
            compiler=compiler,
            sql=sql,
            slots=slots,
            constants=list(params),
            converters=compiler.get_converters([column for column, _sql, _alias in compiler.select]),
            names=names,
            related_names=related_names,
            related_model=related_model,
            related_key=related_key,
        )


class CompiledInsert(Generic[M]):
    """save() of new instances of `model` whose fields hold plain values (no expressions)."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.sql: dict[str, str] = {}  # per database vendor

    def save(self, instance: M) -> None:
        model, meta = self.model, self.model._meta
        connection = connections[router.db_for_write(model, instance=instance)]
        fields = [field for field in meta.concrete_fields if field is not meta.auto_field]
        sql = self.sql.get(connection.vendor)
        if sql is None:
            sql = self.sql[connection.vendor] = self._sql(connection, fields)
        signals.pre_save.send(
            sender=model, instance=instance, raw=False, using=connection.alias, update_fields=None
        )
        values = []
        for field in fields:
            value = field.pre_save(instance, True)
            if hasattr(value, "resolve_expression"):
                raise ValueError(f"{meta.label}.{field.name}: CompiledInsert takes plain values.")
            values.append(field.get_db_prep_save(value, connection))
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            row = cursor.fetchone()
        assert row is not None  # RETURNING gives the new row's key
        setattr(instance, meta.pk.attname, row[0])
        instance._state.adding = False
        instance._state.db = connection.alias
        signals.post_save.send(
            sender=model,
            instance=instance,
            created=True,
            update_fields=None,
            raw=False,
            using=connection.alias,
        )

    def _sql(self, connection: BaseDatabaseWrapper, fields: list[Any]) -> str:
        quote = connection.ops.quote_name
        key: Any = self.model._meta.pk
        columns = ", ".join(quote(field.column) for field in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        # Names from the model, quoted; every value is a parameter.
        return (
            f"INSERT INTO {quote(self.model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
            f" RETURNING {quote(key.column)}"
        )
