"""The project's errors (digest/errors.py): one line, naming the file."""

from __future__ import annotations

import json

import pytest

from digest.errors import DigestError, InputError, value_error_text


def test_an_error_names_its_file_once_on_one_line():
    e = InputError("bad\nthing", path="dir/a.txt")
    assert str(e) == "dir/a.txt: bad thing"
    assert str(InputError("dir/a.txt: already named", path="dir/a.txt")) == "dir/a.txt: already named"


def test_an_empty_file_name_shows_as_the_shell_writes_it():
    assert str(DigestError("no such file", path="")) == "'': no such file"


def test_value_error_text_turns_pythons_digit_limit_into_what_the_file_holds():
    with pytest.raises(ValueError) as exc:
        json.loads("9" * 5000)
    assert value_error_text(exc.value) == "an integer of 5000 digits (more than can be read)"
    assert value_error_text(ValueError("x\ny")) == "x"


def test_a_message_that_only_begins_like_the_name_still_gets_the_name():
    # [sources.empty] whose URL answered an empty body was reported as "Warning: empty input": the
    # message begins with the word "empty", taken for the source's name already there
    from digest.errors import InputError

    assert str(InputError("empty input", path="empty")) == "empty: empty input"
    assert str(InputError("empty: empty input", path="empty")) == "empty: empty input"  # once
    assert str(InputError("arXiv API error: bad id", path="arXiv")) == "arXiv: arXiv API error: bad id"
