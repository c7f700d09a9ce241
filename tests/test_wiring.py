"""Typed wiring: a misspelt component, topic or payload is a type error, not a runtime None.

Components are looked up by class (``session.component(ScopeLink)``) and event topics are
``Topic[payload]`` constants, so mypy, run with the project's own configuration, rejects
each mistake below by name, and accepts the same code spelt right.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mypy import api

from perform.events import NOTICE, SHOW_STATE, EventBus, Notice, Topic
from perform.inputs.hub import ControlHub
from perform.session import Session
from perform.tempo import TempoComponent
from tests.conftest import small_config

ROOT = Path(__file__).resolve().parents[1]

HEADER = """\
from perform import events
from perform.events import NOTICE, SHOW_STATE, EventBus, Notice, ShowState
from perform.session import Session
from perform.tempo import TempoComponent


def on_show(state: ShowState) -> None:
    print(state.scene)


def wire(session: Session, bus: EventBus) -> None:
"""

RIGHT = [
    "bus.subscribe(events.SHOW_STATE, on_show)",
    'bus.publish(NOTICE, Notice("error", "Tempo", "lost"))',
    "print(session.require(TempoComponent).clock.bpm)",
    "bus.subscribe(NOTICE, lambda notice: print(notice.title))",
]
WRONG = [
    ("bus.subscribe(events.SHOW_STAT, on_show)", r'no attribute "SHOW_STAT"'),
    ('bus.subscribe("show.state", on_show)', r'incompatible type "str"'),
    ('bus.publish(SHOW_STATE, Notice("error", "Tempo", "lost"))', r'"publish" of "EventBus"'),
    ("bus.subscribe(NOTICE, on_show)", r'"Callable\[\[ShowState\], None\]"'),
    ("print(session.require(TempoComponent).clok)", r'"TempoComponent" has no attribute "clok"'),
    ("session.component(TempoComponet)", r'Name "TempoComponet" is not defined'),
    ('session.component("tempo")', r'"component" of "Session" has incompatible type "str"'),
    ("bus.subscribe(NOTICE, lambda notice: print(notice.titel))", r'"Notice" has no attribute'),
]


def _mypy(path: Path) -> tuple[int, list[str]]:
    out, err, status = api.run(
        [
            str(path),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
        ]
    )
    return status, [line for line in out.splitlines() if ": error:" in line] + err.splitlines()


def _module(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "wiring_use.py"
    path.write_text(HEADER + "".join(f"    {line}\n" for line in lines))
    return path


def test_the_wiring_spelt_right_type_checks(tmp_path):
    status, errors = _mypy(_module(tmp_path, RIGHT))
    assert status == 0 and not errors, errors


def test_each_misspelling_is_a_type_error_naming_it(tmp_path):
    first = HEADER.count("\n") + 1
    status, errors = _mypy(_module(tmp_path, [line for line, _ in WRONG]))
    assert status == 1
    for offset, (line, expected) in enumerate(WRONG):
        here = [e for e in errors if re.search(rf"wiring_use\.py:{first + offset}: ", e)]
        assert any(re.search(expected, e) for e in here), f"{line}: {here or errors}"


def test_components_are_found_by_class(session: Session):
    assert session.component(ControlHub) is None
    with pytest.raises(LookupError, match="no TempoComponent"):
        session.require(TempoComponent)
    tempo = session.add(TempoComponent(small_config().tempo))
    assert session.component(TempoComponent) is tempo
    assert session.require(TempoComponent) is tempo


def test_topics_are_objects_not_names():
    bus, got = EventBus(), []
    twin: Topic[Notice] = Topic(NOTICE.name)  # same name, another topic
    bus.subscribe(NOTICE, got.append)
    bus.publish(twin, Notice("error", "x", "not for NOTICE's subscribers"))
    bus.publish(NOTICE, Notice("information", "Tempo", "tap"))
    assert [n.title for n in got] == ["Tempo"]
    assert repr(SHOW_STATE) == "Topic('show.state')"
