"""`[output] sinks` / `--output KIND` reach the shipped sinks: the bus's registry builds the
stage window and the VJ-software sinks with the `[output]` options (no stand-ins)."""

from __future__ import annotations

from perform.config import OutputConfig
from perform.program.sink import UnavailableSink
from perform.program.sinks import FACTORIES, build_sink
from perform.program.window import WindowSink


def test_every_shipped_kind_is_buildable_from_the_output_section():
    config = OutputConfig.model_validate(
        {"name": "stage", "window": {"display": 2, "fullscreen": False}}
    )
    for kind in FACTORIES:
        sink = build_sink(kind, config)
        assert not isinstance(sink, UnavailableSink), (kind, sink.status())
        assert sink.kind == kind and sink.name == "stage"
        sink.close()
    window = build_sink("window", config)
    assert isinstance(window, WindowSink)
    assert window.display == 2 and not window.fullscreen
    window.close()


def test_an_unknown_kind_is_unavailable_with_the_known_ones_named():
    sink = build_sink("hologram", OutputConfig())
    assert isinstance(sink, UnavailableSink)
    assert "window" in sink.status().detail and "ndi" in sink.status().detail
