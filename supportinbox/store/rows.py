"""Rows by name: one dataclass per query shape, whose fields are the SELECT list.

A query that reads many columns selects :func:`columns` of its shape and builds the shape
from each row with :func:`load`. Names and values both follow the dataclass's fields, so a
column added, removed or moved changes one place and cannot shift the others (as
``row[17]`` read against a separately written list of names could).

Shapes are ``@dataclass(slots=True)``, not frozen: one is built per row read, and a frozen
one costs ten times as much to build. A field names its column; one whose value comes from
elsewhere (another table, an expression) says so with ``field(metadata=sql("f.name"))``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

# Not typing.TYPE_CHECKING: reading the queue (``list --json``) loads no typing (see cli/quick.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")


def sql(expression: str) -> Mapping[str, str]:
    """Field metadata: the column's value is ``expression`` (e.g. ``"f.role"``), not the field's name."""
    return {"sql": expression}


_SELECT_LISTS: dict[tuple[type[Any], str], str] = {}


def columns(shape: type[Any], alias: str = "") -> str:
    """The SELECT list for ``shape``: its fields in order, each prefixed with ``alias`` (``"c."``)."""
    known = _SELECT_LISTS.get((shape, alias))
    if known is None:
        known = ", ".join(
            item.metadata.get("sql") or f"{alias}{item.name}" for item in dataclasses.fields(shape)
        )
        _SELECT_LISTS[(shape, alias)] = known
    return known


def load(shape: type[T], row: Sequence[Any]) -> T:
    """``row`` (selected with :func:`columns` of ``shape``) as a ``shape``."""
    return shape(*row)
