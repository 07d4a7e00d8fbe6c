"""digest.records: the project's @dataclass behaves as the standard one (fields, init, eq, hash,
repr, frozen, slots, replace/asdict), with only __init__ generated per class."""

from __future__ import annotations

import dataclasses
from dataclasses import field

import pytest

from digest.records import dataclass


def twins(**kw):
    """The same class body under the standard decorator and under ours."""

    def body():
        class Paper:
            title: str
            score: float = 0.0
            tags: list[str] = field(default_factory=list)
            cache: dict = field(default_factory=dict, repr=False, compare=False)

            def label(self) -> str:
                return f"{self.title} ({self.score})"

        return Paper

    return dataclasses.dataclass(**kw)(body()), dataclass(**kw)(body())


def test_init_defaults_fields_and_helpers_are_the_standard_ones():
    std, ours = twins()
    a, b = std("x", 1.5, ["t"]), ours("x", 1.5, ["t"])
    assert dataclasses.is_dataclass(b)
    assert [f.name for f in dataclasses.fields(b)] == [f.name for f in dataclasses.fields(a)]
    assert dataclasses.asdict(b) == dataclasses.asdict(a)
    assert dataclasses.replace(b, score=2.0).score == 2.0
    assert ours("y").tags == [] and ours("y").tags is not ours("y").tags
    assert b.label() == a.label()
    with pytest.raises(TypeError):
        ours()  # title is required


def test_repr_is_the_standard_repr():
    std, ours = twins()
    a, b = std("x", 1.5, ["t"], {"k": 1}), ours("x", 1.5, ["t"], {"k": 1})
    assert repr(b) == repr(a)  # (the same qualified name: both made by one function)
    assert "cache" not in repr(b)


def test_eq_compares_the_compare_fields_of_the_same_class_only():
    std, ours = twins()
    assert ours("x", 1.0, ["t"], {"a": 1}) == ours("x", 1.0, ["t"], {"b": 2})  # cache: compare=False
    assert ours("x", 1.0) != ours("x", 2.0)
    assert ours("x") != std("x")  # another class: NotImplemented both ways, so not equal
    assert ours("x").__eq__(object()) is NotImplemented
    nan = float("nan")
    assert (ours("x", nan) == ours("x", nan)) == (std("x", nan) == std("x", nan))

    class Sub(ours):  # type: ignore[misc,valid-type]
        pass

    assert Sub("x") != ours("x")  # as with the standard decorator: the classes must be the same


def test_unhashable_unless_frozen_and_frozen_hashes_by_fields():
    std, ours = twins()
    with pytest.raises(TypeError):
        hash(ours("x"))
    fstd, fours = twins(frozen=True)
    assert hash(fours("x", 1.0, ("t",))) == hash(fours("x", 1.0, ("t",)))  # type: ignore[arg-type]
    assert fours("x") == fours("x") and fours("x") != fours("y")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fours("x").score = 2.0  # type: ignore[misc]
    assert repr(fours("x")) == repr(fstd("x"))


def test_slots_and_one_field_and_no_field_classes():
    @dataclass(slots=True)
    class One:
        n: int

    @dataclass
    class Empty:
        pass

    assert not hasattr(One(1), "__dict__")
    assert One(1) == One(1) and One(1) != One(2) and repr(One(1)) == "test_slots_and_one_field_and_no_field_classes.<locals>.One(n=1)"
    assert Empty() == Empty() and repr(Empty()).endswith("Empty()")


def test_a_class_that_defines_its_own_eq_repr_or_hash_keeps_them():
    @dataclass
    class Own:
        n: int

        def __eq__(self, other):
            return True

        def __hash__(self):
            return 7

        def __repr__(self):
            return "own"

    assert Own(1) == Own(2) and hash(Own(1)) == 7 and repr(Own(1)) == "own"
