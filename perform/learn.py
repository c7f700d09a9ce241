"""MIDI (and OSC) learn: arm a target, move a control, the binding is saved.

The core API the TUI drives (usable headless; the ``learn`` action calls :meth:`arm`)::

    learner = session.component(ControlHub).learner
    learner.subscribe(on_status)          # LearnStatus on every state change
    learner.arm("color.hue")              # or an action: learner.arm("cue.go")
    # ... the performer moves a control ...
    #   no conflict: it is bound and saved at once (state "saved")
    #   the control is already bound: state "conflict", status.proposal.conflicts says to what
    learner.confirm(replace=True)         # rebind it (the old binding is removed), or
    learner.cancel()

Saving appends a ``[[bind]]`` table to the device's mapping file (comments and layout
kept), checks the whole new text exactly as a load would, then writes it with
:func:`perform.fileio.atomic_write` (temp file + fsync + rename, previous version kept
as ``<file>.bak``): a crash at any moment leaves either the old or the new file.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from perform.errors import MappingError, ParamError, did_you_mean
from perform.events import listen
from perform.fileio import atomic_write
from perform.mapping import writer
from perform.mapping.binding import Binding
from perform.mapping.controls import ControlEvent, ControlKey, describe_key
from perform.mapping.load import load_mapping

if TYPE_CHECKING:
    from perform.inputs.hub import ControlHub

log = logging.getLogger(__name__)

State = Literal["idle", "armed", "captured", "conflict", "saved", "cancelled", "failed"]

CAPTURE_WINDOW = 0.06
"""After a CC 0-31, wait this long for its LSB (CC + 32): then it is a 14-bit control."""


@dataclass(frozen=True)
class Proposal:
    """The binding learn is about to write."""

    device: str
    device_name: str
    key: ControlKey
    control: str
    target: str
    action: bool
    file: Path
    conflicts: tuple[Binding, ...] = ()
    """Bindings already on this control (same layer): confirm(replace=True) removes them."""
    also_bound: tuple[Binding, ...] = ()
    """Other controls already driving this target (a warning, not a conflict)."""

    def describe(self) -> str:
        return f"{self.device_name} {self.control} -> {self.target}"


@dataclass(frozen=True)
class LearnStatus:
    state: State
    target: str | None = None
    proposal: Proposal | None = None
    message: str = ""
    file: Path | None = None


@dataclass
class Learner:
    hub: ControlHub
    capture_window: float = CAPTURE_WINDOW
    status: LearnStatus = field(default_factory=lambda: LearnStatus("idle"))
    _listeners: list[Callable[[LearnStatus], None]] = field(default_factory=list)
    _options: dict[str, Any] = field(default_factory=dict)
    _file: Path | None = None
    _auto: bool = True
    _pending: ControlEvent | None = None
    _timer: asyncio.TimerHandle | None = None

    # --- the API ----------------------------------------------------------------------
    def subscribe(self, callback: Callable[[LearnStatus], None]) -> Callable[[], None]:
        return listen(self._listeners, callback)

    def arm(
        self,
        target: str,
        *,
        file: str | Path | None = None,
        options: Mapping[str, Any] | None = None,
        auto_confirm: bool = True,
    ) -> None:
        """Wait for the next moved control and bind it to ``target`` (a param or action).

        ``options`` are extra binding keys written with it (``takeover``, ``range``,
        ``curve``, ``button``, ``page``...). With ``auto_confirm`` off, even a control
        with no conflict waits for :meth:`confirm` (the TUI shows the proposal first).
        """
        store = self.hub.store
        if target not in store and target not in store.actions:
            names = [*store.names(), *store.actions.names()]
            raise ParamError(f"nothing called '{target}' to learn{did_you_mean(target, names)}")
        self._cancel_timer()
        self._file = None if file is None else Path(file)
        self._options = dict(options or {})
        self._auto = auto_confirm
        self._pending = None
        self.hub.mapper.learner = self.offer
        self._set(LearnStatus("armed", target, message=f"move a control to bind {target}"))

    def cancel(self) -> None:
        self._cancel_timer()
        self.hub.mapper.learner = None
        self._pending = None
        if self.status.state in ("armed", "captured", "conflict"):
            self._set(LearnStatus("cancelled", self.status.target, message="learn cancelled"))

    def confirm(self, *, replace: bool = False) -> Path:
        """Write the proposed binding (``replace``: remove the bindings it conflicts with)."""
        proposal = self.status.proposal
        if proposal is None:
            raise MappingError("nothing to confirm: arm a target and move a control first")
        if proposal.conflicts and not replace:
            raise MappingError(_conflict_text(proposal) + "; confirm(replace=True) to rebind it")
        try:
            path = self._save(proposal, replace)
        except Exception as exc:
            message = (
                exc.message if isinstance(exc, MappingError) else f"{type(exc).__name__}: {exc}"
            )
            self._set(replace_status(self.status, "failed", message))
            raise
        self._set(
            LearnStatus("saved", proposal.target, proposal, f"learned {proposal.describe()}", path)
        )
        self.hub.notify(f"{proposal.describe()} (saved to {path})", title="MIDI learn")
        return path

    # --- capture ------------------------------------------------------------------------
    def offer(self, event: ControlEvent) -> bool:
        """Called by the mapper with every event while armed; True = consumed."""
        if self.status.state != "armed":
            return False
        pending = self._pending
        if pending is not None:
            if pending.device == event.device and _is_lsb_of(pending.key, event.key):
                self._cancel_timer()
                raw = pending.raw << 7 | event.raw
                self._capture(replace(pending, key=("cc14", *pending.key[1:]), raw=raw))
                return True
            return pending.device == event.device and event.key == pending.key
        if event.pressed is False or (
            event.key[0] == "osc" and self.hub.is_builtin_osc(event.key[1])
        ):
            return False
        if event.key[0] == "cc" and event.key[2] < 32 and self.capture_window > 0:
            self._pending = event
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self._capture(event)
                return True
            self._timer = loop.call_later(self.capture_window, self._window_closed)
            return True
        self._capture(event)
        return True

    def _window_closed(self) -> None:
        self._timer = None
        if self._pending is not None and self.status.state == "armed":
            self._capture(self._pending)

    def _capture(self, event: ControlEvent) -> None:
        self._pending = None
        self.hub.mapper.learner = None
        target = self.status.target or ""
        device = self.hub.device_for_learn(event)
        file = self._file or self.hub.learn_file(device)
        bindings = self.hub.mapper.bindings_for(device.id, event.key)
        page, shift = self._options.get("page"), bool(self._options.get("shift", False))
        conflicts = tuple(
            b
            for b in bindings
            if b.shift == shift and (b.page is None or page is None or b.page == page)
        )
        also = tuple(
            b
            for d in self.hub.mapper.devices.values()
            for b in d.bindings
            if b.key != event.key and any(t.name == target for t in b.targets)
        )
        proposal = Proposal(
            device.id,
            device.name,
            event.key,
            device.control_name(event.key) or describe_key(event.key),
            target,
            target not in self.hub.store,
            file,
            conflicts,
            also,
        )
        if conflicts or not self._auto:
            message = _conflict_text(proposal) if conflicts else f"bind {proposal.describe()}?"
            self._set(
                LearnStatus("conflict" if conflicts else "captured", target, proposal, message)
            )
            return
        self._set(LearnStatus("armed", target, proposal, f"binding {proposal.describe()}"))
        try:
            self.confirm()
        except Exception:
            log.exception("learn could not save %s", proposal.describe())

    # --- saving -------------------------------------------------------------------------
    def _save(self, proposal: Proposal, replace: bool) -> Path:
        path = proposal.file
        device = self.hub.mapper.devices.get(proposal.device)
        text = (
            path.read_text(encoding="utf-8") if path.exists() else self.hub.new_file_text(proposal)
        )
        if replace and proposal.conflicts:
            others = [
                b
                for b in proposal.conflicts
                if b.file is None
                or (b.file.resolve() != path.resolve() and not _copied_into(b.file, path))
            ]
            if others:
                raise MappingError(
                    f"{proposal.control} is also bound in {others[0].where}; edit that file, "
                    "or learn into it (arm(..., file=...))"
                )
            text = writer.remove_blocks(text, [b.line for b in proposal.conflicts if b.line])
        named = (
            proposal.control if device is not None and device.control_name(proposal.key) else None
        )
        fields = writer.source_fields(proposal.key, named, device.channel if device else 1)
        fields["action" if proposal.action else "param"] = proposal.target
        fields.update(self._options)
        text = writer.append_block(text, writer.bind_block(fields, comment="learned"))
        load_mapping(path, self.hub.store, mappings_dir=self.hub.mappings_dir, text=text)
        atomic_write(path, text)
        self.hub.reload(proposal.device, path)
        return path

    # --- helpers ------------------------------------------------------------------------
    def _set(self, status: LearnStatus) -> None:
        self.status = status
        for callback in list(self._listeners):
            try:
                callback(status)
            except Exception:
                log.exception("learn listener failed")

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def replace_status(status: LearnStatus, state: State, message: str) -> LearnStatus:
    return LearnStatus(state, status.target, status.proposal, message, status.file)


def _is_lsb_of(msb: ControlKey, key: ControlKey) -> bool:
    return key[0] == "cc" and msb[0] == "cc" and key[1] == msb[1] and key[2] == msb[2] + 32


def _conflict_text(proposal: Proposal) -> str:
    bound = "; ".join(f"{b.describe_targets()} ({b.where})" for b in proposal.conflicts)
    return f"{proposal.control} is already bound to {bound}"


def _copied_into(source: Path, path: Path) -> bool:
    """``path`` is the user's copy of the installed file ``source`` (same lines)."""
    from perform import library

    return library.is_installed(source) and library.user_copy(source) == path
