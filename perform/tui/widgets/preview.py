"""A live half-block preview of the newest frame in a mailbox."""

from __future__ import annotations

import time

from rich.segment import Segment
from textual.strip import Strip
from textual.widget import Widget

from perform.render.mailbox import FrameMailbox
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
        self._draw_times: list[float] = []
        self.render_ms = 0.0

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
        now = time.monotonic()
        self._draw_times = [t for t in self._draw_times if now - t < 2.0]
        return len(self._draw_times) / 2.0

    def update_frame(self) -> None:
        frame = self.mailbox.peek()
        size = (self.size.width, self.size.height)
        if frame is None or (frame.seq == self._frame_seq and size == self._frame_size):
            return
        t0 = time.perf_counter()
        cols, rows = fit_cells(frame.width, frame.height, *size)
        self._strips = [Strip(line, cols) for line in to_segment_lines(frame.rgb, cols, rows)]
        self._pad_cols = max(0, (size[0] - cols) // 2)
        self._frame_seq, self._frame_size = frame.seq, size
        self.render_ms = 1e3 * (time.perf_counter() - t0)
        self._draw_times.append(time.monotonic())
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
