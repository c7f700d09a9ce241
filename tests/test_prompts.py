"""Prompt sets and the A/B blend sent to Scope."""

from __future__ import annotations

import pytest

from perform.errors import ParamError
from perform.prompts import PromptItem, blend, parse_prompt_set


def test_parse_splits_sets_and_reads_weights():
    items = parse_prompt_set(" a neon jellyfish | deep sea :: 0.5 || ")
    assert items == [PromptItem("a neon jellyfish", 1.0), PromptItem("deep sea", 0.5)]


def test_bad_weights():
    with pytest.raises(ParamError, match="not a number"):
        parse_prompt_set("storm :: loud")
    with pytest.raises(ParamError, match=">= 0"):
        parse_prompt_set("storm :: -1")


def test_blend_crossfades_and_normalizes_each_side():
    assert blend("a", "b", 0.0) == [PromptItem("a", 1.0)]
    assert blend("a", "b", 1.0) == [PromptItem("b", 1.0)]
    mixed = {i.text: i.weight for i in blend("a | c :: 3", "b", 0.25)}
    assert mixed == pytest.approx({"a": 0.1875, "c": 0.5625, "b": 0.25})
    shared = {i.text: i.weight for i in blend("a", "a | b", 0.5)}
    assert shared == pytest.approx({"a": 0.75, "b": 0.25})
    assert blend("", "", 0.5) == []
