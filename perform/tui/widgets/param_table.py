"""Parameters with their live value, a meter, who moved them last, and takeover state."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from perform.errors import PerformError
from perform.params import ParamSpec, ParamStore

METER_WIDTH = 12
_EIGHTHS = " ▏▎▍▌▋▊▉"

#: ``name -> fader minus value`` (0..1 of the binding's range) while a pickup is pending.
Takeover = Callable[[str], float | None]
#: ``name -> a short reason`` for rows that cannot be played (shown dim), else None.
Note = Callable[[str], str | None]


def meter(fraction: float, width: int = METER_WIDTH) -> str:
    """A bar of ``width`` cells filled to ``fraction`` with eighth-block resolution."""
    fraction = min(1.0, max(0.0, fraction))
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[part] if part else "")
    return bar.ljust(width)


def format_value(spec: ParamSpec, value: Any) -> str:
    if spec.kind == "continuous":
        span = max(spec.max - spec.min, 1e-9)
        decimals = max(0, 3 - math.floor(math.log10(span)))
        text = f"{float(value):.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return f"{text}{spec.unit}"
    if spec.kind == "trigger":
        return f"#{value}"
    text = str(value)
    return text if len(text) <= 24 else text[:23] + "…"


class ParamTable(DataTable):
    """Up/down pick a parameter; left/right (and +/-) change it through the store."""

    BINDINGS = [
        Binding("left,minus", "adjust(-1)", "Less", show=False),
        Binding("right,plus,equals_sign", "adjust(1)", "More", show=False),
        Binding("shift+left", "adjust(-10)", "Less ×10", show=False),
        Binding("shift+right", "adjust(10)", "More ×10", show=False),
    ]

    def __init__(
        self,
        store: ParamStore,
        names: Iterable[str] | None = None,
        *,
        takeover: Takeover | None = None,
        note: Note | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.store = store
        self.names = list(names) if names is not None else list(store.specs)
        self.takeover = takeover or (lambda name: None)
        self.note = note or (lambda name: None)

    def on_mount(self) -> None:
        self.add_column("parameter", key="name")
        self.add_column("value", key="value", width=11)
        self.add_column("", key="meter", width=METER_WIDTH)
        self.add_column("by", key="source", width=7)
        self.add_column("hw", key="hw", width=5)
        self._fill()

    def _fill(self) -> None:
        for name in self.names:
            self.add_row(*self._cells(name), key=name)

    def set_names(self, names: Iterable[str]) -> None:
        """Show another set of parameters (keeps the cursor on the same name if possible)."""
        names = [n for n in names if n in self.store]
        if names == self.names:
            return
        focused = self.focused_name
        self.names = names
        self.clear()
        self._fill()
        if focused in names:
            self.move_cursor(row=names.index(focused))

    def _cells(self, name: str) -> tuple[Text | str, ...]:
        spec = self.store.spec(name)
        value = self.store.get(name)
        bar = meter(spec.normalized(value)) if spec.kind in ("continuous", "enum") else ""
        source = self.store.last_source(name)
        offset = self.takeover(name)
        # The hardware is above the value: move it down to pick up (and vice versa).
        hw_cell = (
            Text(f"{'↓' if offset > 0 else '↑'}{abs(offset):.2f}", style="bold yellow")
            if offset is not None
            else ""
        )
        note = self.note(name)
        if note is not None:
            dim = "dim"
            return (
                Text(name, style=dim),
                Text(format_value(spec, value), style=dim, justify="right"),
                Text(bar, style=dim),
                Text(note, style="dim italic"),
                hw_cell,
            )
        return (
            name,
            Text(format_value(spec, value), justify="right"),
            bar,
            "" if source == "default" else source,
            hw_cell,
        )

    def refresh_names(self, names: Iterable[str]) -> None:
        for name in names:
            if name not in self.names or name not in self.store:
                continue
            cells = self._cells(name)
            for key, cell in zip(("value", "meter", "source", "hw"), cells[1:], strict=True):
                self.update_cell(name, key, cell)

    @property
    def focused_name(self) -> str | None:
        if not self.names or self.cursor_row < 0:
            return None
        return self.names[min(self.cursor_row, len(self.names) - 1)]

    def action_adjust(self, steps: int) -> None:
        name = self.focused_name
        if name is None:
            return
        adjust(self.store, name, steps, self)


def adjust(store: ParamStore, name: str, steps: int, widget: Any = None) -> None:
    """Nudge ``name`` by ``steps`` hundredths of its range (enums: one choice)."""
    spec = store.spec(name)
    value = store.get(name)
    try:
        if spec.kind == "continuous":
            step = (spec.max - spec.min) / 100.0
            store.apply(name, float(value) + steps * step, "tui")
        elif spec.kind == "enum":
            index = spec.choices.index(value) + (1 if steps > 0 else -1)
            store.apply(name, spec.choices[index % len(spec.choices)], "tui")
        elif spec.kind == "trigger" and steps > 0:
            store.apply(name, 1, "tui")
    except PerformError as exc:
        if widget is not None:
            widget.notify(exc.message, title=exc.title, severity="error")
