"""A live half-block preview of the newest frame in a mailbox."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from rich.segment import Segment
from textual.strip import Strip
from textual.widget import Widget

from perform.rates import RateMeter
from perform.render.mailbox import Frame, FrameMailbox
from perform.tui.halfblock import fit_cells, to_segment_lines


class Preview(Widget):
    """Polls the mailbox at ``fps`` and redraws only when a new frame arrived."""

    DEFAULT_CSS = """
    Preview { width: 1fr; height: 1fr; }
    """

    def __init__(
        self,
        mailbox: FrameMailbox,
        *,
        fps: float = 15.0,
        live: bool = True,
        placeholder: str = "",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.mailbox = mailbox
        self.placeholder = placeholder
        self.fps = fps
        self.live = live
        self._frame_seq = -1
        self._frame_size: tuple[int, int] = (0, 0)
        self._strips: list[Strip] = []
        self._pad_cols = 0
        self._drawn = RateMeter()
        self.frames_drawn = 0
        """Frames drawn since mount (the bench reads it)."""
        self._converting = False

    def on_mount(self) -> None:
        self.update_frame()
        if self.live:
            self.set_interval(1.0 / self.fps, self.update_frame)

    def on_resize(self) -> None:
        self._frame_seq = -1
        self.update_frame()

    @property
    def shown_fps(self) -> float:
        """Frames actually drawn per second over the last two seconds."""
        return self._drawn.rate(time.monotonic())

    def update_frame(self) -> None:
        """Convert the newest frame if it is new (or the size changed).

        Live, the conversion (a few ms of pure Python) runs in a worker thread so key
        presses and MIDI are never queued behind it; frozen (tests), it runs inline.
        """
        frame = self.mailbox.peek()
        size = (self.size.width, self.size.height)
        if frame is None or (frame.seq == self._frame_seq and size == self._frame_size):
            return
        if not self.live:
            self._show(*self._convert(frame, size))
            return
        if self._converting:
            return  # the previous frame is still being converted: skip, never queue
        self._converting = True
        self.run_worker(
            partial(self._convert_in_thread, frame, size),
            thread=True,
            group="preview",
            exit_on_error=False,
            description="preview",
        )

    def _convert(self, frame: Frame, size: tuple[int, int]) -> tuple[Any, ...]:
        cols, rows = fit_cells(frame.width, frame.height, *size)
        strips = [Strip(line, cols) for line in to_segment_lines(frame.rgb, cols, rows)]
        pad = max(0, (size[0] - cols) // 2)
        return frame.seq, size, strips, pad

    def _convert_in_thread(self, frame: Frame, size: tuple[int, int]) -> None:
        try:
            result = self._convert(frame, size)
        except Exception:
            self.app.call_from_thread(self._done)
            raise
        self.app.call_from_thread(self._show, *result)

    def _done(self) -> None:
        self._converting = False

    def _show(self, seq: int, size: tuple[int, int], strips: list[Strip], pad: int) -> None:
        self._converting = False
        self._strips, self._pad_cols = strips, pad
        self._frame_seq, self._frame_size = seq, size
        self._drawn.add(time.monotonic())
        self.frames_drawn += 1
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        top = max(0, (self.size.height - len(self._strips)) // 2)
        index = y - top
        if 0 <= index < len(self._strips):
            line = self._strips[index]
            strip = Strip([Segment(" " * self._pad_cols), *line], self._pad_cols + line.cell_length)
            return strip.extend_cell_length(width).crop(0, width)
        if not self._strips and self.placeholder and y == self.size.height // 2:
            text = self.placeholder[:width].center(width)
            return Strip([Segment(text, self.rich_style)], width)
        return Strip.blank(width)
