"""The project's ``@dataclass``: the standard one, cheaper to define.

``from digest.records import dataclass`` (in place of ``from dataclasses import dataclass``)
gives real dataclasses — the same fields, generated ``__init__``, defaults, ``field(...)``,
``dataclasses.fields/replace/asdict``, ``frozen``, ``slots`` — that compare and print exactly as
the standard decorator's do: ``==`` compares the ``compare`` fields as a tuple when both sides
are of the same class (``NotImplemented`` otherwise) and leaves the class unhashable; ``repr`` is
``Name(field=value, ...)`` over the ``repr`` fields. The difference is only where that behaviour
comes from: the standard decorator writes the source of ``__repr__`` and ``__eq__`` for every
class and compiles it at import, which made the dataclasses of the daily path ~30 % of the
import time of digest's own modules (~4 ms of every ``digest run``); here the two are shared
methods and only ``__init__`` is generated. A frozen dataclass keeps the generated ``__eq__``
and ``__hash__`` (its hash must follow its fields).
"""

from __future__ import annotations

import dataclasses
from dataclasses import field, fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_kwargs):
        return lambda fn: fn


def _repr(self: Any) -> str:
    cls = self.__class__
    return f"{cls.__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in cls.__record_repr__)})"


def _eq(self: Any, other: object) -> Any:
    cls: Any = self.__class__
    key = cls.__record_key__
    if other.__class__ is not cls:
        return NotImplemented
    return key(self) == key(other)


def _no_fields(_obj: object) -> tuple:
    return ()


def _key(names: tuple[str, ...]):
    """The tuple of the named fields' values (attrgetter gives a bare value for one name)."""
    if not names:
        return _no_fields
    get = attrgetter(*names)
    return get if len(names) > 1 else (lambda obj: (get(obj),))


@dataclass_transform(field_specifiers=(field,))
def dataclass(cls: Any = None, /, *, frozen: bool = False, slots: bool = False):
    """``@dataclass`` or ``@dataclass(frozen=..., slots=...)``: see the module."""

    def wrap(c: Any) -> Any:
        shared = not frozen  # (a frozen class's __eq__ goes with its generated __hash__)
        c = dataclasses.dataclass(c, frozen=frozen, slots=slots, repr=False, eq=not shared)
        own = c.__dict__
        if "__repr__" not in own:
            c.__record_repr__ = tuple(f.name for f in fields(c) if f.repr)
            c.__repr__ = _repr
        if shared and "__eq__" not in own:
            c.__record_key__ = _key(tuple(f.name for f in fields(c) if f.compare))
            c.__eq__ = _eq
            if "__hash__" not in own:
                c.__hash__ = None
        return c

    return wrap if cls is None else wrap(cls)
