"""The mapper: control events -> store writes and actions, for every loaded device.

It runs on the loop thread. Inputs hand it *batches* (all MIDI messages that arrived
since the loop last looked, or one OSC bundle); within a batch an absolute control
keeps only its latest position (python-rtmidi#64: a flood of fader moves costs one
write per control, never a backlog), while buttons and encoders see every message.
All parameter writes of a batch go to the store in one atomic ``apply_many``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from perform.errors import PerformError
from perform.events import CONTROL_MESSAGE, EventBus, InputMessage
from perform.logs import throttled
from perform.mapping.binding import Binding, Writes
from perform.mapping.controls import ControlEvent, ControlKey, describe
from perform.mapping.device import DeviceMapping
from perform.params import ParamStore

log = logging.getLogger(__name__)

Learner = Callable[[ControlEvent], bool]
"""Offered every event first while learning; True means "consumed, do not apply"."""


@dataclass
class MapperStats:
    events: int = 0
    applied: int = 0
    unbound: int = 0
    collapsed: int = 0
    errors: int = 0
    """Bindings that raised (a bug or a bad file), counted per event."""
    refused: int = 0
    """Values the store refused (NaN, a word, nil...), counted per value."""


@dataclass
class TakeoverInfo:
    device: str
    control: str
    param: str
    mode: str
    synced: bool
    offset: float | None
    """Fader minus value, 0..1 of the binding's range (None when synced or unknown)."""


@dataclass
class Mapper:
    store: ParamStore
    devices: dict[str, DeviceMapping] = field(default_factory=dict)
    events: EventBus | None = None
    learner: Learner | None = None
    stats: MapperStats = field(default_factory=MapperStats)
    version: int = 0
    """Bumped when anything an LED might show changes besides the store (page, takeover)."""
    _index: dict[tuple[str, ControlKey], list[Binding]] = field(default_factory=dict)
    _osc: dict[str, list[Binding]] = field(default_factory=dict)
    _pages: dict[str, int] = field(default_factory=dict)
    _shift: dict[str, bool] = field(default_factory=dict)
    _positions: dict[tuple[str, ControlKey], float] = field(default_factory=dict)
    _groups: dict[tuple[str, str], Binding] = field(default_factory=dict)
    _layout_down: dict[tuple[str, ControlKey], bool] = field(default_factory=dict)
    _on_layout: list[Callable[[str], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rebuild()

    # --- devices ------------------------------------------------------------------------
    def set_devices(self, devices: Iterable[DeviceMapping]) -> None:
        self.devices = {d.id: d for d in devices}
        self._rebuild()

    def replace_device(self, device: DeviceMapping) -> None:
        """Swap in a re-loaded mapping (after learn); pages and positions are kept."""
        self.devices[device.id] = device
        self._rebuild()
        self._changed(device.id)

    def _rebuild(self) -> None:
        self._index.clear()
        self._osc.clear()
        for device in self.devices.values():
            for binding in device.bindings:
                if binding.key[0] == "osc":
                    self._osc.setdefault(binding.key[1], []).append(binding)
                else:
                    self._index.setdefault((device.id, binding.key), []).append(binding)
        self.version += 1

    def osc_addresses(self) -> list[str]:
        return list(self._osc)

    def on_layout(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(device_id)`` after a page or shift change (LEDs redraw)."""
        self._on_layout.append(callback)

    # --- pages --------------------------------------------------------------------------
    def page(self, device_id: str) -> str | None:
        device = self.devices.get(device_id)
        if device is None or not device.pages:
            return None
        return device.pages[self._pages.get(device_id, 0) % len(device.pages)]

    def set_page(self, device_id: str, page: str | int) -> None:
        device = self.devices[device_id]
        index = page if isinstance(page, int) else device.pages.index(page)
        self._pages[device_id] = index % max(1, len(device.pages))
        self._changed(device_id)

    def shifted(self, device_id: str) -> bool:
        return self._shift.get(device_id, False)

    def _changed(self, device_id: str) -> None:
        self.version += 1
        for callback in list(self._on_layout):
            try:
                callback(device_id)
            except Exception:
                log.exception("layout listener failed")

    def _layout_event(self, device: DeviceMapping, event: ControlEvent) -> bool:
        key = event.key
        if key not in (device.next_page, device.prev_page, device.shift):
            return False
        pressed = event.pressed if event.pressed is not None else event.value >= 0.5
        was = self._layout_down.get((device.id, key), False)
        self._layout_down[(device.id, key)] = pressed
        if key == device.shift:
            if pressed != self._shift.get(device.id, False):
                self._shift[device.id] = pressed
                self._changed(device.id)
        elif pressed and not was and device.pages:
            step = 1 if key == device.next_page else -1
            self.set_page(device.id, self._pages.get(device.id, 0) + step)
        return True

    # --- resolving ----------------------------------------------------------------------
    def active(self, device_id: str, key: ControlKey) -> Binding | None:
        """The binding a control drives right now (page and shift considered)."""
        if key[0] == "osc":
            bound = self._osc.get(key[1])
            return bound[0] if bound else None
        candidates = self._index.get((device_id, key))
        if not candidates:
            return None
        page = self.page(device_id)
        on_page = [b for b in candidates if b.page is None or b.page == page]
        if self._shift.get(device_id):
            shifted = [b for b in on_page if b.shift]
            if shifted:
                return shifted[0]
        plain = [b for b in on_page if not b.shift]
        return plain[0] if plain else None

    def bindings_for(self, device_id: str, key: ControlKey) -> list[Binding]:
        """Every binding of a control on any page or layer (for learn's conflict check)."""
        if key[0] == "osc":
            return list(self._osc.get(key[1], ()))
        return list(self._index.get((device_id, key), ()))

    def handle(
        self, events: Sequence[ControlEvent], source: str = "midi", *, apply: bool = True
    ) -> Writes:
        """Resolve a batch of events and apply it (``apply=False``: the caller adds its
        own writes and calls :meth:`apply`, as the OSC server does for a bundle)."""
        writes = Writes()
        if not events:
            return writes
        self.stats.events += len(events)
        plan: list[tuple[ControlEvent, Binding | None, bool]] = []
        last: dict[tuple[str, ControlKey], int] = {}
        for event in events:
            if self.learner is not None and self._offer(event):
                self._publish(event, "learn")
                continue
            device = self.devices.get(event.device)
            if device is not None and self._layout_event(device, event):
                self._publish(event, "page" if event.key != device.shift else "shift")
                continue
            binding = self.active(event.device, event.key)
            if binding is not None and binding.mode == "absolute":
                last[(event.device, event.key)] = len(plan)
            plan.append((event, binding, True))
        for i, (event, binding, _) in enumerate(plan):
            if binding is None:
                self.stats.unbound += 1
                self._publish(event, None)
                continue
            slot = (event.device, event.key)
            if binding.mode == "absolute" and last.get(slot) != i:
                self.stats.collapsed += 1
                self._publish(event, binding.describe_targets())
                continue
            synced = [t.takeover.synced for t in binding.targets]
            try:
                binding.handle(event, self._positions.get(slot), self.store, writes, self._groups)
                if synced != [t.takeover.synced for t in binding.targets]:
                    self.version += 1  # a fader picked up or lost its value: LEDs may show it
            except Exception:
                self.stats.errors += 1
                throttled(
                    log,
                    "binding_failed",
                    "binding %s at %s failed",
                    binding.control,
                    binding.where,
                    exc_info=True,
                )
            self._positions[slot] = binding.position(event)
            self._publish(event, binding.describe_targets())
        if apply:
            self.apply(writes, source)
        return writes

    def apply(self, writes: Writes, source: str) -> None:
        """Apply a batch: a value the store refuses is counted and left out, the rest of
        the batch (the good values of an OSC bundle) still applies in one snapshot."""
        if writes.values:
            good: dict[str, Any] = {}
            for name, value in writes.values.items():
                try:
                    good[name] = self.store.spec(name).coerce(value)
                except PerformError as exc:
                    self.stats.refused += 1
                    throttled(log, "mapping_refused", "write refused: %s", exc)
            try:
                coerced = self.store.apply_many(good, source) if good else {}
            except PerformError as exc:
                self.stats.errors += 1
                throttled(log, "mapping_refused", "write refused: %s", exc)
                coerced = {}
            for name, value in coerced.items():
                owner = writes.owners.get(name)
                if owner is not None:
                    owner.takeover.wrote(value)
            self.stats.applied += len(coerced)
        for name, (value, seconds) in writes.ramps.items():
            try:
                self.store.transition({name: value}, seconds, "linear", source)
                owner = writes.owners.get(name)
                if owner is not None:
                    owner.takeover.wrote(self.store.spec(name).coerce(value))
                self.stats.applied += 1
            except PerformError as exc:
                self.stats.refused += 1
                throttled(log, "mapping_refused", "ramp refused: %s", exc)
        for name, arg in writes.actions:
            self.store.actions.invoke(name, arg, source)  # failures: ActionRegistry.failures

    def _offer(self, event: ControlEvent) -> bool:
        try:
            return bool(self.learner and self.learner(event))
        except Exception:
            log.exception("learn failed on %s", describe(event))
            return False

    def _publish(self, event: ControlEvent, target: str | None) -> None:
        if self.events is None:
            return
        device = self.devices.get(event.device)
        name = device.name if device is not None else event.device
        self.events.publish(
            CONTROL_MESSAGE,
            InputMessage(event.source, name, describe(event), event.at, target),  # type: ignore[arg-type]
        )

    # --- state for the UI and feedback -----------------------------------------------------
    def takeover_status(self) -> list[TakeoverInfo]:
        """Every live fader/knob target: in control, or how far it is from the value."""
        out = []
        for device in self.devices.values():
            page = self.page(device.id)
            for b in device.bindings:
                if b.mode != "absolute" or (b.page is not None and b.page != page):
                    continue
                source = "osc" if b.key[0] == "osc" else "midi"
                for t in b.targets:
                    if t.action:
                        continue
                    state = t.takeover
                    live = state.in_control(self.store, t.name, source)
                    offset = None
                    position = self._positions.get((device.id, b.key))
                    if not live and position is not None:
                        y = t.shape.forward(position)
                        offset = y - t.shape.position(self.store.get(t.name))
                    out.append(
                        TakeoverInfo(device.name, b.control, t.name, state.mode, live, offset)
                    )
        return out

    def level(self, binding: Binding) -> float:
        return binding.level(self.store, self._groups)

    def position(self, device_id: str, key: ControlKey) -> float | None:
        return self._positions.get((device_id, key))

    def state(self) -> dict[str, Any]:
        return {"stats": self.stats, "pages": {d: self.page(d) for d in self.devices}}
