"""The composition root: one loop, components in order, presets expand, clean stop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from engines import numpy_backend
from perform.config import AppConfig
from perform.errors import ConfigError, DeviceError
from perform.events import ENGINE_STATS, NOTICE
from perform.session import Session
from tests.conftest import small_config


class Recorder:
    def __init__(self, name, log, fail=False):
        self.name, self.log, self.fail = name, log, fail

    async def start(self, session):
        self.log.append(f"start {self.name}")
        if self.fail:
            raise DeviceError("nanoKONTROL2 is not plugged in")

    async def stop(self):
        self.log.append(f"stop {self.name}")


async def test_components_start_in_order_and_stop_in_reverse(session):
    log: list[str] = []
    notices = []
    session.add(Recorder("midi", log))
    session.add(Recorder("broken", log, fail=True))
    session.add(Recorder("osc", log))
    session.events.subscribe(NOTICE, notices.append)
    await session.start()
    assert session.running
    await asyncio.sleep(0.2)
    await session.stop()
    assert log == ["start midi", "start broken", "start osc", "stop osc", "stop midi"]
    assert notices and notices[0].severity == "error" and "not plugged" in notices[0].message
    assert not [t for t in threading.enumerate() if t.name == "perform-engine"]


async def test_engine_stats_reach_the_loop(session):
    got = asyncio.Event()
    session.events.subscribe(ENGINE_STATS, lambda stats: got.set())
    async with session:
        await asyncio.wait_for(got.wait(), 3.0)
    assert session.engine_stats.backend == "numpy"


def test_preset_write_brings_its_parameters(session):
    store = session.store
    assert store.get("engine.preset") == "medusa"
    store.apply("engine.preset", "labyrinth", "midi")
    assert store.get("gray_scott.feed") == pytest.approx(0.029)
    store.apply_many({"engine.preset": "medusa", "gray_scott.feed": 0.04}, "setlist")
    assert store.get("gray_scott.feed") == pytest.approx(0.04)


def test_reseed_action_bumps_the_trigger(session):
    assert session.store.actions.invoke("reseed", None, "midi")
    assert session.store.get("engine.reseed") == 1
    assert session.store.last_source("engine.reseed") == "midi"


def test_unknown_start_preset_is_a_config_error():
    with pytest.raises(ConfigError, match="did you mean 'medusa'"):
        Session(
            AppConfig.model_validate({"engine": {"preset": "medusaa"}}), backend=numpy_backend()
        )


async def test_add_after_start_is_refused():
    session = Session(small_config(), backend=numpy_backend())
    await session.start(engine=False)
    with pytest.raises(RuntimeError):
        session.add(Recorder("late", []))
    await session.stop()
