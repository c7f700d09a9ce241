"""The Live screen: the program (what the audience sees) with its on-air badge, the organism
and Scope's output beside it, the show, the parameters, the status."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from perform.faults import fault_counts
from perform.inputs.hub import ControlHub
from perform.inputs.osc import OscServer
from perform.program.bus import ProgramBus
from perform.program.component import ProgramComponent
from perform.session import Session
from perform.show import SetlistRunner
from perform.stream import scope_link
from perform.tui.messages import Changed
from perform.tui.widgets.monitor import Monitor
from perform.tui.widgets.param_table import ParamTable
from perform.tui.widgets.param_tabs import ParamTabs, lora_info
from perform.tui.widgets.preview import Preview
from perform.tui.widgets.program import ProgramBadge
from perform.tui.widgets.setlist_panel import SetlistPanel
from perform.tui.widgets.status import (
    StatusBar,
    engine_text,
    faults_text,
    midi_text,
    osc_text,
    scope_text,
    status_text,
)

UI_HZ = 30
"""Parameter meters and the MIDI/OSC monitor redraw at most this often."""

LIVE_KEYS: list[BindingType] = [
    Binding("space", "cue('cue.go')", "GO", priority=True),
    Binding("b", "cue('cue.back')", "Back"),
    Binding("p", "cue('panic')", "Panic"),
    Binding("t", "cue('tap')", "Tap"),
    Binding("e", "edit_prompt", "Prompt"),
    Binding("l", "learn", "Learn"),
    Binding("s", "app.push_screen('setlist')", "Setlist"),
    Binding("m", "app.push_screen('mapping')", "Mapping"),
    Binding("question_mark", "app.help", "Help"),
    Binding("colon", "app.command_palette", "Commands", show=False),
    Binding("o", "app.open_show", "Open show", show=False),
    *(Binding(str(n), f"jump({n})", f"Scene {n}", show=False) for n in range(1, 10)),
]


TEXT_ONLY_NOTE = (
    "Text mode: Scope gets prompts only; the organism is not streamed (scenes switch prompts)."
)


class LiveScreen(Screen):
    """Previews on the left with the show under them, parameters on the right."""

    BINDINGS = LIVE_KEYS

    def __init__(self, session: Session, *, live: bool = True) -> None:
        super().__init__()
        self.session = session
        self.live = live
        self._offsets: dict[str, float] = {}
        self._due: set[str] = set()
        """Kinds of refresh waiting for the next UI tick (params, monitor)."""

    @property
    def bridge(self) -> Any:
        return getattr(self.app, "bridge", None)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="live"):
            with Vertical(id="visuals"):
                with Horizontal(id="previews"):
                    bus = self._program_bus()
                    if bus is not None:
                        bus.watch()  # thumbnails from now on (the newest frame at once)
                        with Vertical(id="program-box"):
                            yield ProgramBadge(id="program-badge")
                            yield Preview(
                                bus.monitor,
                                live=self.live,
                                placeholder="program: waiting for the first picture…",
                                id="program-preview",
                            )
                    with Vertical(id="sources"):
                        yield Preview(self.session.host.mailbox, live=self.live, id="preview")
                        link = scope_link(self.session)
                        output = link.output if link is not None else None
                        if output is not None:
                            yield Preview(
                                output,
                                live=self.live,
                                placeholder="Scope output: waiting…",
                                id="scope-preview",
                            )
                yield Static(TEXT_ONLY_NOTE, id="mode-note")
                yield SetlistPanel(id="show")
                yield Monitor(id="monitor")
            yield ParamTabs(self.session.store, takeover=self._takeover, note=self._note, id="tabs")
        yield StatusBar(id="status")
        yield Footer()

    def _program_bus(self) -> ProgramBus | None:
        program = self.session.component(ProgramComponent)
        return program.bus if program is not None else None

    def on_mount(self) -> None:
        bus = self._program_bus()
        if bus is not None:
            self.query_one(ProgramBadge).show(bus.state)
        self.query_one(ParamTabs).current_table.focus()
        for kind in ("show", "tempo", "monitor"):
            self._refresh(kind)
        self.update_status()
        if self.live:
            self.set_interval(0.5, self.update_status)
            self.set_interval(1.0, self._check_specs)
            self.set_interval(0.2, self.refresh_takeover)
            self.set_interval(0.25, self.query_one(SetlistPanel).redraw)

    # --- what the show tells us ----------------------------------------------------------
    def on_changed(self, message: Changed) -> None:
        """High-rate kinds are redrawn at most UI_HZ times a second, whatever the input rate."""
        if message.kind in ("params", "monitor"):
            if not self._due:
                self.set_timer(1 / UI_HZ, self._refresh_due)
            self._due.add(message.kind)
            return
        self._refresh(message.kind)

    def _refresh_due(self) -> None:
        due, self._due = self._due, set()
        for kind in due:
            self._refresh(kind)  # type: ignore[arg-type]

    def _refresh(self, kind: str) -> None:
        bridge = self.bridge
        if bridge is None:
            return
        if kind == "params":
            self.query_one(ParamTabs).refresh_params(bridge.drain())
        elif kind == "specs":
            self.query_one(ParamTabs).refresh_specs()
            self._update_lora_info()
        elif kind == "show":
            self.query_one(SetlistPanel).show(bridge.show, self._scene_preset())
        elif kind == "tempo":
            self.query_one(SetlistPanel).beat(bridge.tempo)
        elif kind == "monitor":
            self.query_one(Monitor).show(bridge.monitor, bridge.monitor_total)
        elif kind == "program":
            for badge in self.query(ProgramBadge):
                badge.show(bridge.program)
        else:
            self.update_status()

    def _check_specs(self) -> None:
        """Parameters registered at run time (e.g. the LoRAs Scope reports) get their rows."""
        bridge = self.bridge
        if bridge is not None and bridge.specs_changed():
            self.query_one(ParamTabs).refresh_specs()
        self._update_lora_info()

    def _update_lora_info(self) -> None:
        link = scope_link(self.session)
        if link is None:
            return
        adapters = dict(link.loras.by_param) if link.loras.known else None
        self.query_one("#lora-info", Static).update(lora_info(adapters))

    def _scene_preset(self) -> str | None:
        runner, state = (
            self.session.component(SetlistRunner),
            self.bridge.show if self.bridge else None,
        )
        if runner is None or state is None or state.index is None:
            return None
        return runner.setlist.scenes[state.index].preset

    def _takeover(self, name: str) -> float | None:
        """How far the hardware is from a value it has not picked up yet (None: in control)."""
        return self._offsets.get(name)

    def refresh_takeover(self) -> None:
        """Faders move without writing while they wait to pick up: poll their offsets."""
        control = self.session.component(ControlHub)
        offsets: dict[str, float] = {}
        if control is not None:
            for info in control.mapper.takeover_status():
                if not info.synced and info.offset is not None:
                    offsets[info.param] = info.offset
        if offsets != self._offsets:
            changed = set(offsets) | set(self._offsets)
            self._offsets = offsets
            self.query_one(ParamTabs).refresh_params(changed)

    def _note(self, name: str) -> str | None:
        """Rows that cannot be played: LoRAs Scope merged permanently."""
        if not name.startswith("lora."):
            return None
        link = scope_link(self.session)
        adapter = link.loras.adapter(name) if link is not None else None
        return "fixed" if adapter is not None and not adapter.live else None

    def update_status(self) -> None:
        bridge = self.bridge
        stats = bridge.stats if bridge else self.session.engine_stats
        preview = self.query_one("#preview", Preview)
        fps = preview.shown_fps if self.live else None
        osc = self.session.component(OscServer)
        parts = [
            scope_text(bridge.scope if bridge else None),
            midi_text(bridge.devices.values() if bridge else ()),
            osc_text(
                bridge.osc_rate() if bridge and osc is not None else None,
                osc.errors if osc is not None else None,
            ),
            engine_text(self.session.backend.reason, stats, fps),
        ]
        faults = faults_text(fault_counts(self.session))
        if faults is not None:
            parts.append(faults)
        self.query_one(StatusBar).update(status_text(parts))
        text_mode = self.session.store.get("scope.input_mode") == "text"
        self.query_one("#mode-note", Static).display = text_mode

    # --- what the performer does ---------------------------------------------------------
    def action_cue(self, name: str) -> None:
        if not self.session.store.actions.invoke(name, None, "tui"):
            what = (
                "no show is loaded (o opens one)"
                if name.startswith(("cue.", "panic"))
                else "not available"
            )
            self.notify(f"{name}: {what}", severity="warning")

    def action_jump(self, scene: int) -> None:
        runner = self.session.component(SetlistRunner)
        if runner is None or scene > len(runner.setlist.scenes):
            self.notify(f"there is no scene {scene}", severity="warning")
            return
        self.session.store.actions.invoke("cue.goto", scene, "tui")

    def action_learn(self) -> None:
        """Learn the focused parameter: the mapping screen shows what the next control does."""
        name = self.focused_param
        if self.session.component(ControlHub) is None:
            self.notify("MIDI and OSC are off: nothing to learn from", severity="warning")
            return
        from perform.tui.screens.mapping import MappingScreen

        screen = self.app.get_screen("mapping")
        assert isinstance(screen, MappingScreen)
        self.app.push_screen(screen)
        if name is not None:
            screen.arm(name)

    def action_edit_prompt(self) -> None:
        from perform.tui.screens.prompt import PromptScreen

        self.app.push_screen(PromptScreen(self.session.store))

    @property
    def focused_param(self) -> str | None:
        focused = self.focused
        return focused.focused_name if isinstance(focused, ParamTable) else None
