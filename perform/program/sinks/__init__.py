"""Every program sink by kind, and whether each can run here.

``FACTORIES[kind](**options)`` makes a :class:`~perform.program.sink.ProgramSink`; options
are keywords, each sink taking the ones it knows and ignoring the rest: ``name``
(what other software sees, default ``perform``), ``organism`` (also send the raw organism),
``organism_name`` (default ``perform organism``), ``fps``, and for the window ``display``,
``fullscreen``, ``vsync``. :func:`availability` says, for ``perform outputs``, which can
run here and, for those that can't, why and how to get them. :func:`build_sink` makes the
sinks ``[output] sinks`` and ``--output`` name from this same table: one registry of kinds.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from perform.config import OutputConfig
from perform.program.sink import ProgramSink, UnavailableSink


def _window(**options: Any) -> ProgramSink:
    from perform.program.window import WindowSink

    return WindowSink(**options)


def _ndi(**options: Any) -> ProgramSink:
    from perform.program.sinks.ndi import NdiSink

    return NdiSink(**options)


def _syphon(**options: Any) -> ProgramSink:
    from perform.program.sinks.syphon import SyphonSink

    return SyphonSink(**options)


def _spout(**options: Any) -> ProgramSink:
    from perform.program.sinks.spout import SpoutSink

    return SpoutSink(**options)


def _vcam(**options: Any) -> ProgramSink:
    from perform.program.sinks.vcam import VirtualCameraSink

    return VirtualCameraSink(**options)


FACTORIES: dict[str, Callable[..., ProgramSink]] = {
    "window": _window,
    "ndi": _ndi,
    "syphon": _syphon,
    "spout": _spout,
    "vcam": _vcam,
}

DESCRIPTIONS = {
    "window": "the stage window: full-screen on a projector or second screen",
    "ndi": "NDI sources on the LAN (Resolume, TouchDesigner, OBS, vMix)",
    "syphon": "Syphon server (macOS: Resolume, VDMX, MadMapper, TouchDesigner)",
    "spout": "Spout sender (Windows: Resolume, TouchDesigner, OBS)",
    "vcam": "virtual camera (OBS virtual camera / v4l2loopback)",
}


@dataclass(frozen=True)
class Availability:
    kind: str
    available: bool
    why: str
    """When not available: why, and how to get it. When available: what it does."""
    note: str | None = None
    """Available, but something to set up first (e.g. load v4l2loopback)."""


def availability() -> list[Availability]:
    """One row per sink kind: can it run on this machine, and if not, why and how."""
    rows = []
    for kind, factory in FACTORIES.items():
        note = None
        try:
            sink = factory()
            why = _why_not(sink)
            hint = getattr(sink, "hint", None)
            note = hint() if why is None and callable(hint) else None
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}"
        rows.append(Availability(kind, why is None, why or DESCRIPTIONS[kind], note))
    return rows


def _why_not(sink: ProgramSink) -> str | None:
    if sink.kind == "window":
        from perform.program.window import display_unavailable

        return display_unavailable()
    unavailable = getattr(sink, "unavailable", None)
    return unavailable() if callable(unavailable) else None


def platform_name() -> str:
    return {"darwin": "macOS", "win32": "Windows"}.get(sys.platform, sys.platform.capitalize())


def build_sink(kind: str, config: OutputConfig) -> ProgramSink:
    """The sink ``kind`` with ``[output]`` (and ``--output``) as its options. A kind not in
    :data:`FACTORIES`, or a factory that raises (a missing extra, no display), becomes an
    :class:`UnavailableSink` whose status says why: the show goes on without it."""
    factory = FACTORIES.get(kind)
    if factory is None:
        known = ", ".join(sorted(FACTORIES))
        return UnavailableSink(
            kind, config.name, f"no '{kind}' output in this installation (available: {known})"
        )
    try:
        return factory(
            name=config.name,
            organism=config.organism_stream,
            organism_name=config.organism_name,
            display=config.window.display,
            fullscreen=config.window.fullscreen,
            vsync=config.window.vsync,
        )
    except Exception as exc:  # a broken extra must not stop the show
        return UnavailableSink(kind, config.name, f"could not start: {type(exc).__name__}: {exc}")
