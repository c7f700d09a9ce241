"""Shared fixtures: a numpy-backed session with small, fast settings."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from engines import numpy_backend
from perform.config import AppConfig
from perform.inputs.jackd import ENV_KEYS
from perform.session import Session


def small_config(**engine) -> AppConfig:
    return AppConfig.model_validate(
        {
            "stream": {"width": 128, "height": 128, "fps": 30},
            "engine": {"world": 128, **engine},
            # Tests that want Scope, MIDI or OSC turn them on: a unit test must not depend on
            # the machine's ALSA, nor bind the real OSC port.
            "scope": {"enabled": False},
            "midi": {"auto_profiles": False},
            "osc": {"enabled": False},
        }
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """A segfault (a C extension: rtmidi, libjack, PyAV) prints only the crashing
    thread's stack, in full: pytest's default dumps every thread, newest first, and a
    CI log cut in the middle then hides the one that crashed."""
    import faulthandler

    from _pytest.faulthandler import fault_handler_stderr_fd_key

    fd = session.config.stash.get(fault_handler_stderr_fd_key, None)
    if fd is not None:
        faulthandler.enable(file=fd, all_threads=False)
    # The JACK variables the session's JACK server sets exist from the start (naming no
    # server): adding a variable makes glibc reallocate the environment, and a C thread an
    # earlier test left (libjack's, rtmidi's) calling getenv() meanwhile reads freed memory.
    # Replacing a value that exists reallocates nothing.
    no_server = {"JACK_DEFAULT_SERVER": f"perform-tests-{os.getpid()}-none"}
    for key in ENV_KEYS:
        os.environ.setdefault(key, no_server.get(key, "1"))


@pytest.fixture(autouse=True, scope="session")
def _no_user_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tester's own ~/.config/perform (mappings, shows, config.toml) must not shadow the
    shipped files in tests: the user's folder is an empty one (tests that need one set their
    own XDG_CONFIG_HOME)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
        yield


@pytest.fixture(autouse=True, scope="session")
def _numpy_engines() -> Iterator[None]:
    """The engines run their NumPy code in tests (and in every ``perform`` a test starts):
    the fused CPU kernels load in the background and take over when ready, so a picture
    would depend on when that happened (the TUI snapshots), and each process would compile
    or load them beside the test's own work. tests/engines/test_cpu_kernels.py turns them
    on and waits for them explicitly."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PERFORM_NUMBA", "0")
        yield


@pytest.fixture
def config() -> AppConfig:
    return small_config()


@pytest.fixture
def session(config: AppConfig) -> Session:
    return Session(config, backend=numpy_backend())


@pytest.fixture(scope="session")
def jack():
    """One private JACK server (dummy driver) for the whole test session."""
    from tests.jack import jack_server

    with jack_server() as server:
        yield server


@pytest.fixture
def controllers(jack) -> Iterator[list]:
    """Virtual controllers made in a test are unplugged after it."""
    made: list = []
    yield made
    for controller in made:
        controller.unplug()
