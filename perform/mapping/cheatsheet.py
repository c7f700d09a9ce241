"""A controller's cheat sheet: which control does what, page by page, and what its LEDs mean.

Built from the *compiled* mapping (the same :class:`DeviceMapping` a run uses), so it can
never disagree with what the controller really does. ``perform map NAME`` prints it and the
TUI's mapping screen shows it for the devices in use; both call :func:`cheat_sheet`.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from perform.mapping.binding import Binding, Target
from perform.mapping.device import DeviceMapping
from perform.mapping.shape import Shape

TAKEOVER = {
    "pickup": "does nothing until it reaches the value, then follows (no jumps)",
    "jump": "writes its own position at the first move (the value may jump)",
    "value-scaling": "moves scaled so fader and value meet at the end of travel",
}


@dataclass(frozen=True)
class Row:
    control: str
    does: str
    how: str


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[Row]


def _number(value: float) -> str:
    return f"{value:g}"


def _shape(shape: Shape) -> str:
    spec = shape.spec
    if spec is None:
        return ""
    if spec.kind == "enum":
        choices = list(spec.choices)
        lo, hi = int(shape.lo), int(shape.hi)
        if (lo, hi) == (0, len(choices) - 1):
            return f" ({len(choices)} choices)"
        return f" ({choices[lo]}..{choices[hi]})"
    if spec.kind == "trigger":
        return ""
    parts = []
    if (float(spec.min), float(spec.max)) != (shape.lo, shape.hi):
        parts.append(f"{_number(shape.lo)}..{_number(shape.hi)}")
    if shape.curve != "linear":
        parts.append(shape.curve)
    if shape.steps:
        parts.append(f"{shape.steps} steps")
    return f" {' '.join(parts)}" if parts else ""


def _target(target: Target, binding: Binding) -> str:
    if target.action:
        arg = target.arg
        if isinstance(arg, float) and arg.is_integer():
            arg = int(arg)
        return f"{target.name} {arg}" if arg is not None else target.name
    if binding.mode == "button":
        if target.value is not None:
            return f"{target.name} = {target.value}"
        shape = target.shape
        spec = shape.spec
        if spec is not None and spec.kind == "continuous" and (shape.lo, shape.hi) != (0, 1):
            return f"{target.name} {_number(shape.lo)} -> {_number(shape.hi)}"
        return target.name
    return f"{target.name}{_shape(target.shape)}"


def _how(binding: Binding) -> str:
    if binding.mode == "button":
        return binding.button or "press"
    if binding.mode == "encoder":
        return f"encoder ({binding.encoder})" if binding.encoder else "encoder"
    modes = {t.takeover.mode for t in binding.targets if not t.action}
    return "/".join(sorted(modes)) if modes else ""


def _row(binding: Binding) -> Row:
    return Row(
        binding.control,
        ", ".join(_target(t, binding) for t in binding.targets),
        _how(binding),
    )


def _order(device: DeviceMapping) -> dict[str, int]:
    return {name: i for i, name in enumerate(device.controls)}


def sections(device: DeviceMapping) -> list[Section]:
    """Bindings grouped: every page, each page, the shift layer; then the LEDs."""
    order = _order(device)

    def sort(bindings: list[Binding]) -> list[Row]:
        def key(b: Binding) -> tuple[int, str]:
            base = b.control.rstrip("0123456789")
            number = b.control[len(base) :]
            return (order.get(b.control, len(order)), base + number.zfill(3))

        return [_row(b) for b in sorted(bindings, key=key)]

    out: list[Section] = []
    plain = [b for b in device.bindings if b.page is None and not b.shift]
    if plain:
        title = "every page" if device.pages else "controls"
        out.append(Section(title, sort(plain)))
    for page in device.pages:
        on_page = [b for b in device.bindings if b.page == page and not b.shift]
        if on_page:
            out.append(Section(f'page "{page}"', sort(on_page)))
    shifted = [b for b in device.bindings if b.shift]
    if shifted:
        holder = device.control_name(device.shift) if device.shift else None
        title = f"shift (hold {holder})" if holder else "shift"
        out.append(Section(title, sort(shifted)))
    leds = led_rows(device)
    if leds:
        out.append(Section("LEDs", leds))
    return out


def led_rows(device: DeviceMapping) -> list[Row]:
    """What each lit control means: a rule of the file, or the bound parameter's state."""
    rows: list[Row] = []
    ruled = {rule.control for rule in device.leds}
    for rule in device.leds:
        if rule.follows is not None:
            meaning = (
                f"lit while {rule.follows} is in control (off: move {rule.follows} "
                "to pick its value up)"
            )
        elif rule.equals is not None:
            meaning = f"lit while {rule.param} = {rule.equals}"
        else:
            meaning = f"lit while {rule.param} is above {rule.above or 0:g} of its range"
        rows.append(Row(rule.control, meaning, ""))
    for binding in device.bindings:
        control = device.controls.get(binding.control)
        if control is None or control.led is None or control.name in ruled:
            continue
        ruled.add(control.name)
        names = ", ".join(t.name for t in binding.targets)
        if control.led.kind == "ring":
            meaning = f"ring shows {names}"
        elif binding.mode == "button" and binding.button == "toggle":
            meaning = f"lit while {names} is on"
        elif binding.mode == "button" and binding.button == "momentary":
            meaning = "lit while held"
        elif binding.mode == "button" and binding.button == "radio":
            meaning = f"lit while {names} holds this button's value"
        elif all(t.action for t in binding.targets):
            continue  # an action button's LED stays dark
        else:
            meaning = f"lit while {names} is in the upper half"
        rows.append(Row(binding.control, meaning, ""))
    return rows


def header(device: DeviceMapping) -> list[str]:
    lines = [device.name]
    if device.kind == "midi":
        leds = device.output_match
        lines.append(
            f"  opens MIDI ports matching '{device.match}', channel {device.channel}"
            + (f"; LEDs on '{leds}'" if leds else "; no LEDs")
        )
    else:
        lines.append("  OSC: messages from any allowed sender")
    if device.pages:
        nav = [
            device.control_name(k) for k in (device.prev_page, device.next_page) if k is not None
        ]
        how = f" ({' / '.join(n for n in nav if n)} switch)" if nav else ""
        lines.append(f"  pages: {', '.join(device.pages)}{how}")
    if device.shift is not None:
        lines.append(f"  shift: hold {device.control_name(device.shift)}")
    modes = sorted(
        {t.takeover.mode for b in device.bindings if b.mode == "absolute" for t in b.targets} - {""}
    )
    for mode in modes:
        lines += _wrap(f"takeover {mode}: a fader/knob {TAKEOVER.get(mode, mode)}")
    for hint in device.setup:
        lines += _wrap(f"setup: {hint}")
    return lines


def _wrap(text: str, width: int = 100) -> list[str]:
    return textwrap.wrap(text, width, initial_indent="  ", subsequent_indent="    ")


def cheat_sheet(device: DeviceMapping, width: int = 100) -> list[str]:
    """The whole sheet as plain lines (``perform map``)."""
    lines = header(device)
    for section in sections(device):
        lines.append("")
        lines.append(section.title)
        wide = max(len(r.control) for r in section.rows)
        for row in section.rows:
            how = f"  [{row.how}]" if row.how else ""
            line = f"  {row.control:<{wide}}  {row.does}{how}"
            lines.append(line if len(line) <= width else line[: width - 1] + "…")
    return lines
