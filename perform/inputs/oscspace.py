"""The OSC address space: every parameter, action and state value under ``/vj/``.

The scheme (stable, lower case, one value per address, as TouchDesigner's OSC In CHOP
wants it; controllers.md section c):

* ``/vj/<param path>``: a parameter in native units; the path is its dotted name with
  dots as slashes (``gray_scott.feed`` -> ``/vj/gray_scott/feed``,
  ``lora.<name>.scale`` -> ``/vj/lora/<name>/scale``). Enums take a choice name or an
  index, text takes a string, triggers fire on any non-zero value or no argument.
* ``/vj/norm/<param path>``: the same parameter as 0..1 of its range (enums: spread
  over their choices).
* ``/vj/<action path>``: an action (``/vj/cue/go``, ``/vj/cue/goto 3``, ``/vj/panic``);
  fires on no argument or a non-zero one (a TouchOSC button's release, 0, is ignored).
  ``/vj/scene/go|back|goto|panic`` are aliases of the cue actions.
* ``/vj/scene/...`` and ``/vj/tempo/...``: state sent back as feedback (read-only).

The same document is printed by ``perform osc-map`` and served as JSON over HTTP.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from perform.errors import ParamError
from perform.params import TRIGGER_WORDS, ParamSpec, ParamStore

PREFIX = "/vj"
NORM = "/vj/norm"
ALIASES = {
    "/vj/scene/go": "cue.go",
    "/vj/scene/back": "cue.back",
    "/vj/scene/goto": "cue.goto",
    "/vj/scene/panic": "panic",
}
STATE: tuple[tuple[str, str, str], ...] = (
    ("/vj/scene/index", "f", "Current scene number (1-based; 0 before the first GO)."),
    ("/vj/scene/name", "s", "Current scene name."),
    ("/vj/scene/next", "s", "Name of the scene a GO will take."),
    ("/vj/scene/next_index", "f", "Number of the scene a GO will take (0: none)."),
    ("/vj/scene/notes", "s", "Notes of the next scene (the standby line)."),
    ("/vj/scene/phase", "s", "idle, transition, hold, waiting, done or panic."),
    ("/vj/scene/hold_remaining", "f", "Seconds until an automatic continue (-1: manual)."),
    ("/vj/show/name", "s", "The running show."),
    ("/vj/tempo/bpm", "f", "Tempo in beats per minute."),
    ("/vj/tempo/beat", "f", "Beats since the clock started."),
    ("/vj/tempo/bar", "f", "Bar number."),
    ("/vj/tempo/beat_in_bar", "f", "Beat within the bar (0-based)."),
    ("/vj/tempo/phase", "f", "Position within the beat, 0..1."),
    ("/vj/tempo/playing", "f", "1 while the clock runs, 0 when stopped."),
    ("/vj/tempo/source", "s", "internal, tap, midi or link."),
    ("/vj/program/on_air", "s", "What the audience sees: organism, scope, mix or black."),
    ("/vj/program/state", "s", "live, failover, frozen or black."),
    ("/vj/program/black", "s", "Why the program is black: fade, blackout, panic, scene ('')."),
    ("/vj/program/failover", "f", "1 while the organism stands in for a failed Scope video."),
    (
        "/vj/program/scope",
        "s",
        "Scope's video: off, waiting, ok, steadying, stalled, frozen, down.",
    ),
)

Kind = Literal["param", "norm", "action", "state"]


def param_address(name: str, normalized: bool = False) -> str:
    return f"{NORM if normalized else PREFIX}/{name.replace('.', '/')}"


@dataclass(frozen=True, slots=True)
class OscEntry:
    address: str
    kind: Kind
    name: str
    """The parameter or action name (state: the address)."""
    type: str
    """OSC type tag of the value: ``f``, ``i``, ``s``; empty for no argument."""
    spec: ParamSpec | None = None
    doc: str = ""
    takes_arg: bool = False
    level: bool = False
    """An action that is a state (``scope.pause``): ``0``/``off`` sets it off."""

    @property
    def writable(self) -> bool:
        return self.kind != "state"

    def describe(self) -> dict[str, Any]:
        """One row of ``perform osc-map --json``."""
        row: dict[str, Any] = {"address": self.address, "kind": self.kind, "target": self.name}
        row["type"] = self.type
        spec = self.spec
        if spec is not None:
            if self.kind == "norm":
                row.update(
                    min=0.0,
                    max=1.0,
                    default=spec.normalized(spec.coerce(spec.default))
                    if spec.kind in ("continuous", "enum")
                    else 0.0,
                )
            elif spec.kind == "continuous":
                row.update(
                    min=spec.min, max=spec.max, default=spec.coerce(spec.default), unit=spec.unit
                )
            elif spec.kind == "enum":
                row.update(choices=list(spec.choices), default=spec.default)
            elif spec.kind == "text":
                row.update(default=spec.default)
            row["param_kind"] = spec.kind
        row["access"] = "w" if self.kind == "action" else ("r" if self.kind == "state" else "rw")
        row["doc"] = self.doc
        return row

    def coerce(self, args: tuple[Any, ...] | list[Any]) -> Any:
        """The value these OSC arguments mean for this entry (ParamError if none).

        Accepts f, i, d, h (numbers), T/F (True/False), N (None) and s (strings) and
        converts them to the target's kind. Actions and triggers return True to fire or
        None to ignore (a 0 / False release); a level action (``scope.pause``) returns
        ``"on"``/``"off"`` for an argument (its off is a value, not a release).
        """
        first = args[0] if args else None
        spec = self.spec
        if self.kind == "action" and self.level and args and first is not None:
            if isinstance(first, bytes):
                raise ParamError(f"{self.address}: a blob is not on/off")
            return "on" if _truthy(first) else "off"
        if self.kind == "action" or (spec is not None and spec.kind == "trigger"):
            if not args or first is None:
                return True
            if isinstance(first, bytes):
                raise ParamError(f"{self.address}: a blob is not a trigger value")
            if isinstance(first, float) and not math.isfinite(first):
                raise ParamError(f"{self.address}: {first} is not a trigger value")
            if (
                isinstance(first, str)
                and not (self.kind == "action" and self.takes_arg)
                and not _number_word(first)
                and first.strip().lower() not in TRIGGER_WORDS
            ):
                raise ParamError(f"{self.address}: {first!r} is not a trigger value (1/0, on/off)")
            return True if _truthy(first) else None
        assert spec is not None
        if not args:
            raise ParamError(f"{self.address}: needs a value ({self.type})")
        if isinstance(first, bytes) or first is None:
            raise ParamError(
                f"{self.address}: cannot use {'a blob' if first is not None else 'nil'} "
                f"as {spec.kind}"
            )
        if isinstance(first, bool):
            first = 1.0 if first else 0.0
            if self.kind == "param" and spec.kind == "continuous":
                return spec.max if first else spec.min
        if self.kind == "norm":
            try:
                x = float(first)
            except (TypeError, ValueError):
                raise ParamError(f"{self.address}: expected a number 0..1, got {first!r}") from None
            if not math.isfinite(x):
                raise ParamError(f"{self.address}: {x} is not a value")
            return spec.denormalize(x)
        if spec.kind == "text":
            if not isinstance(first, str):
                raise ParamError(f"{self.address}: expected a string, got {first!r}")
            return first
        if spec.kind == "enum" and isinstance(first, float) and first.is_integer():
            first = int(first)
        if isinstance(first, int) and spec.kind == "continuous":
            first = float(first)
        return spec.coerce(first)


def _number_word(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "off")
    try:
        return float(value) != 0.0
    except (TypeError, ValueError):
        return bool(value)


@functools.lru_cache(maxsize=512)
def pattern_regex(pattern: str) -> re.Pattern[str] | None:
    """An OSC 1.0 address pattern as a regex (``*`` and ``?`` never cross a ``/``)."""
    out, i, n = ["^"], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                return None
            body = pattern[i + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            chars = "".join("\\" + ch if ch in "\\^[]" else ch for ch in body)
            out.append(f"[{'^' if negate else ''}{chars}]" if chars else "(?!)")
            i = end
        elif c == "{":
            end = pattern.find("}", i + 1)
            if end < 0:
                return None
            out.append(
                "(?:" + "|".join(re.escape(alt) for alt in pattern[i + 1 : end].split(",")) + ")"
            )
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    out.append("$")
    try:
        return re.compile("".join(out))
    except re.error:
        return None


def has_wildcard(address: str) -> bool:
    return any(c in address for c in "*?[{")


class AddressSpace:
    """All ``/vj/`` addresses of a store, rebuilt when parameters or actions are added."""

    def __init__(self, store: ParamStore) -> None:
        self.store = store
        self._entries: dict[str, OscEntry] = {}
        self._shape: tuple[int, int] = (-1, -1)
        self.refresh()

    def refresh(self) -> bool:
        """Rebuild if the store's registry changed size; True if it did."""
        shape = (len(self.store.specs), len(self.store.actions.names()))
        if shape == self._shape:
            return False
        self._shape = shape
        entries: dict[str, OscEntry] = {}
        for address, tag, doc in STATE:
            entries[address] = OscEntry(address, "state", address, tag, doc=doc)
        for name in self.store.actions.names():
            spec = self.store.actions.spec(name)
            entries[param_address(name)] = OscEntry(
                param_address(name),
                "action",
                name,
                "s" if spec.takes_arg else "",
                doc=spec.doc,
                takes_arg=spec.takes_arg,
                level=spec.level,
            )
        for address, name in ALIASES.items():
            if name in self.store.actions:
                spec = self.store.actions.spec(name)
                entries[address] = OscEntry(
                    address,
                    "action",
                    name,
                    "s" if spec.takes_arg else "",
                    doc=f"Alias of {param_address(name)}.",
                    takes_arg=spec.takes_arg,
                    level=spec.level,
                )
        for name, pspec in self.store.specs.items():  # parameters win a clash with anything
            tag = {"continuous": "f", "enum": "s", "text": "s", "trigger": ""}[pspec.kind]
            entries[param_address(name)] = OscEntry(
                param_address(name), "param", name, tag, pspec, pspec.doc
            )
            if pspec.kind in ("continuous", "enum"):
                doc = f"{pspec.doc} (0..1)".strip()
                address = param_address(name, True)
                entries[address] = OscEntry(address, "norm", name, "f", pspec, doc)
        self._entries = entries
        return True

    def entries(self) -> list[OscEntry]:
        self.refresh()
        return sorted(self._entries.values(), key=lambda e: e.address)

    def lookup(self, address: str) -> OscEntry | None:
        entry = self._entries.get(address)
        if entry is None and self.refresh():
            entry = self._entries.get(address)
        return entry

    def match(self, address: str) -> list[OscEntry]:
        """Entries an incoming address (pattern) names; writable ones only."""
        if not has_wildcard(address):
            entry = self.lookup(address)
            return [entry] if entry is not None and entry.writable else []
        regex = pattern_regex(address)
        if regex is None:
            return []
        self.refresh()
        return [e for a, e in self._entries.items() if e.writable and regex.match(a)]
