"""The control hub: loaded mappings, the mapper and MIDI learn, shared by the inputs.

It is the session component ``control``; the MIDI input, the OSC server and
the feedback outputs find it with ``session.component(ControlHub)``. Mapping files are
loaded and checked when the session is *built*, so a bad file stops ``perform run``
with one clean message before anything starts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from perform import library
from perform.config import AppConfig
from perform.errors import MappingError, PerformError
from perform.events import EventBus
from perform.fileio import atomic_write
from perform.learn import Learner, Proposal
from perform.mapping import writer
from perform.mapping.binding import Binding
from perform.mapping.controls import ControlEvent
from perform.mapping.device import DeviceMapping
from perform.mapping.load import load_mapping, merge, resolve_path
from perform.mapping.mapper import Mapper
from perform.params import ParamStore

if TYPE_CHECKING:
    from perform.session import Session

log = logging.getLogger(__name__)

BUILTIN_OSC_PREFIX = "/vj/"


def shipped_profiles(mappings_dir: Path, store: ParamStore) -> list[DeviceMapping]:
    """Every MIDI profile that loads cleanly (broken ones are logged): the user's folder,
    ``mappings_dir`` and the shipped ones, a user's file shadowing a shipped name."""
    found = []
    for path in (f.path for f in library.catalogue("mappings", mappings_dir).values()):
        try:
            device = load_mapping(path, store, mappings_dir=mappings_dir)
        except PerformError as exc:
            log.warning("profile %s not usable: %s", path, exc)
            continue
        if device.kind == "midi":
            device.auto = True
            found.append(device)
    return found


class ControlHub:
    name = "control"

    def __init__(
        self,
        store: ParamStore,
        events: EventBus,
        config: AppConfig,
        files: Sequence[str | Path] = (),
        *,
        notify=None,  # noqa: ANN001 - Session.notify's signature
    ) -> None:
        self.store = store
        self.events = events
        self.config = config
        self.mappings_dir = config.paths.mappings
        base = config.source.parent if config.source is not None else Path.cwd()
        names = [*config.midi.mappings, *files]
        self.files = [resolve_path(name, self.mappings_dir, base) for name in names]
        for name, path in zip(names, self.files, strict=True):
            if not path.exists():
                raise MappingError(library.not_found("mappings", name, self.mappings_dir))
        self.mapper = Mapper(store, events=events)
        self.mapper.set_devices(
            merge(load_mapping(p, store, mappings_dir=self.mappings_dir) for p in self.files)
        )
        loaded = {d.match for d in self.mapper.devices.values() if d.match}
        self.candidates: list[DeviceMapping] = []
        if config.midi.auto_profiles:
            self.candidates = [
                d
                for d in shipped_profiles(self.mappings_dir, store)
                if d.match not in loaded and not (set(d.files) & set(self.files))
            ]
        self.monitor: list[str] = [p for p in config.midi.inputs if p not in loaded]
        self.learner = Learner(self)
        self._notify = notify
        self._unbind: Callable[[], None] | None = None

    # --- the component ------------------------------------------------------------------
    async def start(self, session: Session) -> None:
        self._unbind = self.store.actions.bind("learn", self._learn_action)

    async def stop(self) -> None:
        if self._unbind is not None:
            self._unbind()
            self._unbind = None
        self.learner.cancel()

    def _learn_action(self, arg: object, source: str) -> None:
        if arg in (None, "", False, 0):
            self.learner.cancel()
        else:
            self.learner.arm(str(arg))

    def notify(self, message: str, *, title: str = "", severity: str = "information") -> None:
        if self._notify is not None:
            self._notify(message, title=title, severity=severity)
        else:
            log.info("%s: %s", title, message)

    # --- devices ------------------------------------------------------------------------
    @property
    def devices(self) -> list[DeviceMapping]:
        return list(self.mapper.devices.values())

    def midi_patterns(self) -> list[tuple[str, DeviceMapping | None]]:
        """(pattern, device) for every MIDI port to look for; candidates and monitors last."""
        out: list[tuple[str, DeviceMapping | None]] = [
            (d.match, d) for d in self.mapper.devices.values() if d.kind == "midi" and d.match
        ]
        active = {p for p, _ in out}
        out += [(d.match, d) for d in self.candidates if d.match and d.match not in active]
        out += [(p, None) for p in self.monitor if p not in active]
        return out

    def activate(self, device: DeviceMapping) -> None:
        """A shipped profile's port appeared: its bindings go live."""
        if device.id not in self.mapper.devices:
            self.mapper.replace_device(device)
            self.notify(f"{device.name}: profile {device.files[0].name} loaded", title="MIDI")
            for hint in device.setup:
                self.notify(hint, title=f"{device.name} setup")

    def reload(self, device_id: str, path: Path) -> DeviceMapping:
        """Re-load a device's files (after learn wrote ``path``) and swap the bindings in."""
        current = self.mapper.devices.get(device_id)
        files = list(current.files) if current is not None else []
        # Learn wrote the user's copy of an installed profile: the copy replaces it.
        files = [path if library.is_installed(f) and f.name == path.name else f for f in files]
        if path not in files:
            files.append(path)
        device = merge(load_mapping(f, self.store, mappings_dir=self.mappings_dir) for f in files)[
            0
        ]
        device.auto = current.auto if current is not None else False
        if device.id != device_id and device_id in self.mapper.devices:
            del self.mapper.devices[device_id]
        self.mapper.replace_device(device)
        return device

    def remove_binding(self, binding: Binding) -> Path:
        """Delete a binding from its mapping file (atomically, ``.bak`` kept) and reload.

        The new text is checked exactly as a load would before anything is written.
        """
        if binding.file is None or binding.line is None:
            raise MappingError(f"{binding.control}: this binding is not in a file")
        path = binding.file
        text = writer.remove_blocks(path.read_text(encoding="utf-8"), [binding.line])
        load_mapping(path, self.store, mappings_dir=self.mappings_dir, text=text)
        atomic_write(path, text)
        self.reload(binding.device, path)
        self.notify(
            f"{binding.control} -> {binding.describe_targets()} removed from {path}",
            title="Mapping",
        )
        return path

    # --- learn support --------------------------------------------------------------------
    def is_builtin_osc(self, address: str) -> bool:
        return address.startswith(BUILTIN_OSC_PREFIX)

    def device_for_learn(self, event: ControlEvent) -> DeviceMapping:
        if event.key[0] == "osc":
            for device in self.mapper.devices.values():
                if device.kind == "osc":
                    return device
            return DeviceMapping(id="osc:OSC", name="OSC", kind="osc")
        found = self.mapper.devices.get(event.device)
        if found is not None:
            return found
        return DeviceMapping(id=event.device, name=event.device, match=event.device)

    def learn_file(self, device: DeviceMapping) -> Path:
        """The file learn appends to: the device's last file, unless that is inside the
        installed package; then the user's copy of it (written on the first save)."""
        if device.files:
            last = device.files[-1]
            return library.user_copy(last) if library.is_installed(last) else last
        slug = re.sub(r"[^a-z0-9]+", "-", device.name.lower()).strip("-") or "device"
        return library.writable_dir("mappings", self.mappings_dir) / f"learned-{slug}.toml"

    def new_file_text(self, proposal: Proposal) -> str:
        device = self.mapper.devices.get(proposal.device)
        for shipped in device.files if device is not None else []:
            if library.is_installed(shipped) and library.user_copy(shipped) == proposal.file:
                # Verbatim, so its bindings keep their line numbers (replace edits them).
                return shipped.read_text(encoding="utf-8")
        kind = "osc" if proposal.key[0] == "osc" else "midi"
        match = device.match if device is not None else proposal.device
        return writer.new_file(proposal.device_name, kind, match)
