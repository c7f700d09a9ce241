"""The parameters in tabs: Engine, Flows, Colour, Prompts, LoRA, Scope, All."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static, TabbedContent, TabPane

from engines import PresetError, get_preset
from perform.params import ParamStore
from perform.tui.widgets.param_table import Note, ParamTable, Takeover

#: (tab id, title, parameter groups shown). ``engine`` also shows the running engine's rules.
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("engine", "Engine", ("engine", "master", "tempo")),
    ("flows", "Flows", ("flow",)),
    ("colour", "Colour", ("color",)),
    ("prompts", "Prompts", ("prompt",)),
    ("lora", "LoRA", ("lora",)),
    ("scope", "Scope", ("scope",)),
    ("all", "All", ()),
)


def running_engine(store: ParamStore) -> str | None:
    try:
        return get_preset(str(store.get("engine.preset"))).engine
    except PresetError:
        return None


def lora_info(adapters: dict[str, Any] | None) -> str:
    """What Scope loaded, with merge modes; why some scales cannot move."""
    if adapters is None:
        return "[dim]LoRAs appear here once Scope reports what it loaded.[/dim]"
    if not adapters:
        return "[dim]Scope loaded no LoRA ([scope] loras, or a show's [[scope.loras]]).[/dim]"
    parts = []
    fixed = False
    for param, adapter in sorted(adapters.items()):
        name = param.removeprefix("lora.").removesuffix(".scale")
        if adapter.live:
            parts.append(f"[b]{name}[/b] {adapter.merge_mode}")
        else:
            fixed = True
            parts.append(f"[dim]{name} {adapter.merge_mode} (fixed at {adapter.scale:g})[/dim]")
    text = " · ".join(parts)
    if fixed:
        text += (
            "\n[dim italic]fixed: merged into the model at load, so its scale cannot change live; "
            'load it with lora_merge_mode = "runtime_peft" to ride it.[/dim italic]'
        )
    return text


def names_for(store: ParamStore, tab: str) -> list[str]:
    groups = dict((t, g) for t, _, g in GROUPS)[tab]
    if tab == "all":
        return list(store.specs)
    wanted = set(groups)
    if tab == "engine" and (engine := running_engine(store)) is not None:
        wanted.add(engine)
    return [name for name, spec in store.specs.items() if spec.group in wanted]


class ParamTabs(Vertical):
    BINDINGS = [
        Binding("right_square_bracket", "step_tab(1)", "Next tab", show=False),
        Binding("left_square_bracket", "step_tab(-1)", "Previous tab", show=False),
    ]

    def __init__(
        self,
        store: ParamStore,
        *,
        takeover: Takeover | None = None,
        note: Note | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.takeover = takeover
        self.note = note
        self._engine = running_engine(store)

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="tab-engine"):
            for tab, title, _ in GROUPS:
                with TabPane(title, id=f"tab-{tab}"):
                    if tab == "lora":
                        yield Static(lora_info(None), id="lora-info")
                    yield ParamTable(
                        self.store,
                        names_for(self.store, tab),
                        takeover=self.takeover,
                        note=self.note,
                        id=f"params-{tab}",
                    )

    def tables(self) -> Iterable[ParamTable]:
        return self.query(ParamTable)

    @property
    def active(self) -> str:
        return self.query_one(TabbedContent).active

    @property
    def current_table(self) -> ParamTable:
        return self.query_one(f"#params-{self.active.removeprefix('tab-')}", ParamTable)

    def refresh_params(self, names: set[str]) -> None:
        if "engine.preset" in names and running_engine(self.store) != self._engine:
            self._engine = running_engine(self.store)
            self.query_one("#params-engine", ParamTable).set_names(names_for(self.store, "engine"))
        for table in self.tables():
            table.refresh_names(names)

    def refresh_specs(self) -> None:
        """New parameters appeared (e.g. Scope reported its LoRAs)."""
        for tab, _, _ in GROUPS:
            self.query_one(f"#params-{tab}", ParamTable).set_names(names_for(self.store, tab))

    def action_step_tab(self, step: int) -> None:
        ids = [f"tab-{tab}" for tab, _, _ in GROUPS]
        self.query_one(TabbedContent).active = ids[(ids.index(self.active) + step) % len(ids)]
        self.current_table.focus()
