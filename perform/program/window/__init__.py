"""The stage window: the program full-screen on a projector, drawn on the GPU by a child
process fed through shared memory (:class:`~perform.program.window.sink.WindowSink`)."""

from perform.program.window.sink import WindowSink, display_unavailable

__all__ = ["WindowSink", "display_unavailable"]
