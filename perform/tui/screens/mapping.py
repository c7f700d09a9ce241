"""The mapping screen: every binding of the loaded controllers, and MIDI learn.

Learn from here: ``l`` asks for a target (or comes armed from the Live screen's ``l``
with the focused parameter), the next moved control is *proposed* with what it would
replace, ``enter`` saves it, ``r`` saves it replacing a conflicting binding, ``escape``
cancels. ``d`` deletes the highlighted binding. Every save goes through the mapping
file atomically (temp file + rename) and keeps the previous version as ``<file>.bak``.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.suggester import SuggestFromList
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from perform.errors import PerformError
from perform.inputs.hub import ControlHub
from perform.learn import LearnStatus
from perform.session import Session
from perform.tui.messages import Changed
from perform.tui.widgets.monitor import Monitor

_STATE_STYLE = {
    "armed": "bold yellow",
    "captured": "bold cyan",
    "conflict": "bold red",
    "saved": "bold green",
    "failed": "bold red",
    "cancelled": "dim",
    "idle": "dim",
}


class LearnChanged(Message, bubble=False):
    def __init__(self, status: Any) -> None:
        super().__init__()
        self.status = status


def learn_text(status: Any) -> Text:
    """What learn is doing, for a performer: the state, the proposal, the conflicts."""
    out = Text()
    out.append("LEARN ", style="bold").append(
        status.state, style=_STATE_STYLE.get(status.state, "")
    )
    if status.target:
        out.append(f"  target {status.target}", style="bold")
    if status.message:
        out.append(f"\n{status.message}")
    proposal = status.proposal
    if proposal is not None:
        out.append(f"\n{proposal.describe()}", style="bold")
        out.append(f"\ninto {proposal.file}", style="dim")
        for binding in proposal.conflicts:
            out.append(
                f"\n⚠ replaces {binding.control} → {binding.describe_targets()} ({binding.where})",
                style="red",
            )
        for binding in proposal.also_bound:
            out.append(f"\n· {binding.control} also drives {status.target}", style="yellow")
        if status.state == "captured":
            out.append("\nenter: save   escape: cancel", style="dim")
        elif status.state == "conflict":
            out.append("\nr: replace it   escape: cancel", style="dim")
    elif status.state == "idle":
        out.append("\nl: learn a parameter or action", style="dim")
    return out


class TargetPrompt(ModalScreen[str | None]):
    """Which parameter or action to learn (with completion)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, names: list[str], initial: str = "") -> None:
        super().__init__()
        self.names = names
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(id="target-box"):
            yield Label("Learn which parameter or action? (tab completes)")
            yield Input(
                self.initial,
                suggester=SuggestFromList(self.names, case_sensitive=False),
                id="target",
            )
            yield Static("", id="target-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value not in self.names:
            from perform.errors import did_you_mean

            self.query_one("#target-error", Static).update(
                f"nothing called '{value}'{did_you_mean(value, self.names)}"
            )
            return
        self.dismiss(value)


class MappingScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("l", "learn", "Learn"),
        Binding("enter", "confirm(False)", "Save", show=False, priority=True),
        Binding("r", "confirm(True)", "Replace", show=False),
        Binding("d", "delete", "Delete"),
        Binding("c", "cheat_sheet", "Cheat sheet"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self._unsubscribe: Any = None

    @property
    def hub(self) -> ControlHub | None:
        return self.session.component(ControlHub)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="mapping"):
            yield DataTable(cursor_type="row", zebra_stripes=True, id="bindings")
            with Vertical(id="learn-side"):
                yield Static(id="learn-state")
                yield Monitor(id="learn-monitor")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Mapping"
        table = self.query_one(DataTable)
        for key, label, width in (
            ("device", "device", 14),
            ("control", "control", 12),
            ("source", "message", 13),
            ("target", "moves", 22),
            ("how", "how", 9),
            ("page", "page", 5),
            ("where", "file", 16),
        ):
            table.add_column(label, key=key, width=width)
        hub = self.hub
        if hub is not None:
            self._unsubscribe = hub.learner.subscribe(self._learn_changed)
        self.fill()
        self.show_learn()

    def _learn_changed(self, status: LearnStatus) -> None:
        self.post_message(LearnChanged(status))

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    def action_cheat_sheet(self) -> None:
        from perform.tui.screens.cheatsheet import CheatSheetScreen

        self.app.push_screen(CheatSheetScreen(self.session))

    def bindings(self) -> list[Any]:
        hub = self.hub
        return [b for d in hub.devices for b in d.bindings] if hub is not None else []

    def fill(self) -> None:
        from perform.mapping.controls import describe_key

        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        hub = self.hub
        if hub is None:
            return
        names = {d.id: d.name for d in hub.devices}
        for i, b in enumerate(self.bindings()):
            target = b.describe_targets()
            how = (
                b.button
                or b.encoder
                or (b.targets[0].takeover.mode if b.targets and not b.targets[0].action else "")
            )
            where = b.where.replace(str(hub.mappings_dir) + "/", "")
            table.add_row(
                names.get(b.device, b.device),
                b.control,
                describe_key(b.key),
                target,
                how,
                b.page or "",
                where,
                key=str(i),
            )
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))

    def show_learn(self) -> None:
        hub = self.hub
        panel = self.query_one("#learn-state", Static)
        if hub is None:
            panel.update(
                Text("No controller mappings are loaded (MIDI and OSC are off).", style="dim")
            )
            return
        panel.update(learn_text(hub.learner.status))

    def on_learn_changed(self, message: LearnChanged) -> None:
        self.show_learn()
        if message.status.state == "saved":
            self.fill()

    def on_changed(self, message: Changed) -> None:
        bridge = getattr(self.app, "bridge", None)
        if message.kind == "monitor" and bridge is not None:
            self.query_one(Monitor).show(bridge.monitor, bridge.monitor_total)

    # --- actions -------------------------------------------------------------------------
    def arm(self, target: str) -> None:
        hub = self.hub
        if hub is None:
            self.notify("MIDI and OSC are off: nothing to learn from", severity="warning")
            return
        try:
            hub.learner.arm(target, auto_confirm=False)
        except PerformError as exc:
            self.notify(exc.message, title=exc.title, severity="error")

    def action_learn(self) -> None:
        store = self.session.store
        names = [*store.names(), *store.actions.names()]

        def chosen(target: str | None) -> None:
            if target:
                self.arm(target)

        self.app.push_screen(TargetPrompt(names), chosen)

    def action_confirm(self, replace: bool) -> None:
        hub = self.hub
        if hub is None or hub.learner.status.proposal is None:
            return
        try:
            hub.learner.confirm(replace=replace)
        except PerformError as exc:
            self.notify(exc.message, title=exc.title, severity="error")

    def action_back(self) -> None:
        hub = self.hub
        if hub is not None and hub.learner.status.state in ("armed", "captured", "conflict"):
            hub.learner.cancel()
            return
        self.app.pop_screen()

    def action_delete(self) -> None:
        table = self.query_one(DataTable)
        bindings, hub = self.bindings(), self.hub
        if not bindings or hub is None or table.cursor_row < 0:
            return
        binding = bindings[table.cursor_row]
        from perform.tui.screens.confirm import Confirm

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            try:
                hub.remove_binding(binding)
            except (PerformError, ValueError, OSError) as exc:
                self.notify(str(exc), title="Not deleted", severity="error")
            self.fill()

        question = (
            f"Delete {binding.control} → {binding.describe_targets()} from {binding.where}?\n"
            "(the previous file is kept as .bak)"
        )
        self.app.push_screen(Confirm(question, yes="Delete"), answer)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        hub = self.hub
        if hub is not None and hub.learner.status.proposal is not None:
            self.action_confirm(False)
