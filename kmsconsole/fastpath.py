"""Hot-path reads and writes with their SQL built once, from the models' own metadata.

Every KMS call looks up its access key (with principal, account and workspace), usually
its key (with account), and writes an audit event. Through the ORM, compiling those
statements costs several times more CPU than running them, so these three are compiled
once per process here: the SQL is generated from ``_meta`` (no hand-written column
lists to drift from the models) and rows become ordinary model instances via
``Model.from_db``, related objects attached as ``select_related`` would attach them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import ForeignKey, Model

M = TypeVar("M", bound=Model)


@functools.cache
def _chain_sql(models: tuple[type[Model], ...], links: tuple[str, ...], where: str) -> str:
    """SELECT the concrete columns of ``models`` joined along ``links`` (the foreign key
    of each model to the next), filtered by ``where`` on the first model's table."""
    quote = connection.ops.quote_name
    columns = [
        f"t{index}.{quote(str(field.column))}"
        for index, model in enumerate(models)
        for field in model._meta.concrete_fields
    ]
    joins = [f"{quote(str(models[0]._meta.db_table))} t0"]
    for index, link in enumerate(links, start=1):
        foreign_key = models[index - 1]._meta.get_field(link)
        assert isinstance(foreign_key, ForeignKey)
        target = models[index]._meta
        joins.append(
            f"JOIN {quote(str(target.db_table))} t{index} "
            f"ON t{index}.{quote(str(target.pk.column))} = t{index - 1}.{quote(str(foreign_key.column))}"
        )
    conditions = " AND ".join(f"t0.{quote(column)} = %s" for column in where.split(","))
    return f"SELECT {', '.join(columns)} FROM {' '.join(joins)} WHERE {conditions}"


def fetch_chain(models: Sequence[type[Model]], links: Sequence[str], where: str, params: Sequence[Any]) -> Model | None:
    """The first model's row matching ``where`` (comma-separated column names, each
    compared with one of ``params``), with each linked row attached to the one before
    it; None if there is no such row."""
    sql = _chain_sql(tuple(models), tuple(links), where)
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        row = cursor.fetchone()
    if row is None:
        return None
    instances = []
    offset = 0
    for model in models:
        attnames, converters = _row_reader(model)
        values = list(row[offset : offset + len(attnames)])
        offset += len(attnames)
        for index, column_converters in converters:
            for convert, expression in column_converters:
                values[index] = convert(values[index], expression, connection)
        instances.append(model.from_db(connection.alias, attnames, values))
    for index, link in enumerate(links, start=1):
        setattr(instances[index - 1], link, instances[index])
    return instances[0]


@functools.cache
def _row_reader(model: type[Model]) -> tuple[list[str], list[tuple[int, list[tuple[Any, Any]]]]]:
    """The attribute names of ``model``'s columns and, for the columns that need them,
    the conversions the ORM applies to raw values (JSON text to objects, SQLite's text
    dates and durations to Python values)."""
    attnames = []
    converters = []
    for index, field in enumerate(model._meta.concrete_fields):
        attnames.append(field.attname)
        expression = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        if found:
            converters.append((index, [(convert, expression) for convert in found]))
    return attnames, converters


@functools.cache
def _insert_sql(model: type[Model]) -> tuple[str, tuple[Any, ...]]:
    fields = tuple(field for field in model._meta.concrete_fields if not field.primary_key)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {quote(str(model._meta.db_table))} ({columns}) VALUES ({placeholders}) "
        f"RETURNING {quote(str(model._meta.pk.column))}"
    )
    return sql, fields


def insert(instance: M) -> M:
    """Insert a new row for ``instance`` (no signals: the hot-path models have none) and
    set its primary key, as ``save(force_insert=True)`` would."""
    sql, fields = _insert_sql(type(instance))
    values = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance
