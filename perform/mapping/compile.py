"""Compile a parsed mapping file: named controls, bindings, conflicts and LED rules.

Every check that needs the parameter store lives here; each problem is collected with
its ``file:line: key`` so a file reports all of its mistakes at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perform.errors import did_you_mean
from perform.mapping.binding import Binding, Mode, Target
from perform.mapping.controls import ControlKey, describe_key
from perform.mapping.device import ControlDef, DeviceMapping, LedRule
from perform.mapping.model import BindModel, ControlModel, LedModel, TargetModel
from perform.mapping.shape import Shape
from perform.mapping.takeover import TakeoverState
from perform.params import ParamSpec, ParamStore
from perform.registry import register_lora
from perform.tomlfile import Problems


def _numbers(value: int | list[int] | None) -> list[int] | None:
    if value is None:
        return None
    return [value] if isinstance(value, int) else list(value)


def compile_controls(
    models: dict[str, ControlModel], default_channel: int, problems: Problems
) -> dict[str, ControlDef]:
    out: dict[str, ControlDef] = {}
    for name, model in models.items():
        channel = default_channel if model.channel is None else model.channel - 1
        led = LedModel(kind=model.led) if isinstance(model.led, str) else model.led
        if model.pitchbend:
            out[name] = ControlDef(name, ("pitchbend", channel, 0), model.button, None, led)
            continue
        for kind in ("cc", "cc14", "note", "nrpn"):
            numbers = _numbers(getattr(model, kind))
            if numbers is None:
                continue
            top = {"cc": 127, "cc14": 31, "note": 127, "nrpn": 16383}[kind]
            for i, number in enumerate(numbers):
                if not 0 <= number <= top:
                    problems.add(("controls", name, kind), f"{number} is outside 0..{top}")
                    continue
                full = name if len(numbers) == 1 else f"{name}{i + 1}"
                encoder = model.encoder if kind == "cc" else None
                out[full] = ControlDef(full, (kind, channel, number), model.button, encoder, led)
    return out


def find_control(
    device: DeviceMapping, name: str, problems: Problems, loc: tuple[Any, ...]
) -> ControlDef | None:
    control = device.controls.get(name)
    if control is None:
        problems.add(
            loc, f"no control '{name}' in this profile{did_you_mean(name, device.controls)}"
        )
    return control


@dataclass
class Compiler:
    store: ParamStore
    device: DeviceMapping
    problems: Problems
    path: Path

    def bind(self, index: int, model: BindModel) -> None:
        loc: tuple[Any, ...] = ("bind", index)
        key, control = self._source(model, loc)
        if key is None:
            return
        target_models: list[TargetModel] = model.targets or [model]
        targets = [
            self._target(
                model, t, key, control, loc if model.targets is None else (*loc, "targets", i)
            )
            for i, t in enumerate(target_models)
        ]
        if any(t is None for t in targets):
            return
        compiled = [t for t in targets if t is not None]
        mode, button = self._mode(model, key, control, compiled, loc)
        if mode is None:
            return
        if model.page is not None and model.page not in self.device.pages:
            pages = self.device.pages
            hint = did_you_mean(model.page, pages) or (
                f"; pages: {', '.join(pages)}" if pages else "; add [layout] pages = [...]"
            )
            self.problems.add((*loc, "page"), f"no page '{model.page}'{hint}")
            return
        if key in (self.device.next_page, self.device.prev_page, self.device.shift):
            self.problems.add(
                loc,
                f"{describe_key(key)} is the layout's page/shift control; it cannot also be bound",
            )
            return
        encoder = model.encoder or (control.encoder if control else None)
        self.device.bindings.append(
            Binding(
                device=self.device.id,
                key=key,
                control=control.name if control else describe_key(key),
                targets=compiled,
                mode=mode,
                button=button,
                group=model.group,
                threshold=model.threshold,
                encoder=encoder,
                sensitivity=model.sensitivity,
                acceleration=model.acceleration,
                input=model.input,
                page=model.page,
                shift=model.shift,
                file=self.path,
                line=self.problems.source.line_of(loc),
            )
        )

    def _source(
        self, model: BindModel, loc: tuple[Any, ...]
    ) -> tuple[ControlKey | None, ControlDef | None]:
        if model.control is not None:
            control = find_control(self.device, model.control, self.problems, (*loc, "control"))
            return (None, None) if control is None else (control.key, control)
        if model.osc is not None:
            if not model.osc.startswith("/"):
                self.problems.add(
                    (*loc, "osc"), f"an OSC address starts with '/' (try '/{model.osc}')"
                )
                return None, None
            return ("osc", model.osc), None
        if self.device.kind == "osc":
            self.problems.add(loc, 'an OSC device binds OSC addresses: osc = "/address"')
            return None, None
        channel = (model.channel or self.device.channel) - 1
        for kind in ("cc", "cc14", "note", "nrpn"):
            number = getattr(model, kind)
            if number is not None:
                key: ControlKey = (kind, channel, number)
                return key, self.device.control_by_key(key)
        key = ("pitchbend", channel, 0)
        return key, self.device.control_by_key(key)

    def _target(
        self,
        bind: BindModel,
        model: TargetModel,
        key: ControlKey,
        control: ControlDef | None,
        loc: tuple[Any, ...],
    ) -> Target | None:
        if model.action is not None:
            return self._action_target(model, loc)
        assert model.param is not None
        spec = self._spec(model.param, (*loc, "param"))
        if spec is None:
            return None
        if spec.kind == "text" and key[0] != "osc":
            self.problems.add(
                (*loc, "param"), f"{spec.name} is text (a prompt); only an OSC string can set it"
            )
            return None
        range_ = (
            model.range if model.range is not None else (bind.range if bind is not model else None)
        )
        if not self._check_range(spec, range_, (*loc, "range")):
            return None
        value = (
            model.value if model.value is not None else (bind.value if bind is not model else None)
        )
        if value is not None:
            try:
                value = spec.coerce(value)
            except Exception as exc:
                self.problems.add((*loc, "value"), str(exc))
                return None
        pick = _inherit(model, bind)
        shape = Shape.for_spec(
            spec,
            range_,
            invert=bool(pick("invert", False)),
            curve=pick("curve", "linear"),
            deadzone=bind.deadzone,
            steps=pick("steps", None),
        )
        default_takeover = (
            "jump"
            if key[0] == "osc" or (control and control.led and control.led.kind == "ring")
            else "pickup"
        )
        return Target(
            spec.name,
            False,
            shape,
            value=value,
            smoothing=float(pick("smoothing", 0.0)),
            takeover=TakeoverState(pick("takeover", default_takeover)),
        )

    def _action_target(self, model: TargetModel, loc: tuple[Any, ...]) -> Target | None:
        name = model.action or ""
        actions = self.store.actions
        if name not in actions:
            self.problems.add(
                (*loc, "action"),
                f"unknown action '{name}'{did_you_mean(name, actions.names())}; "
                f"actions: {', '.join(actions.names())}",
            )
            return None
        if model.arg is not None and not actions.spec(name).takes_arg:
            self.problems.add((*loc, "arg"), f"action '{name}' takes no argument")
            return None
        return Target(name, True, Shape(None), arg=model.arg)

    def _spec(self, name: str, loc: tuple[Any, ...]) -> ParamSpec | None:
        if name in self.store:
            return self.store.spec(name)
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "lora" and parts[2] == "scale" and parts[1]:
            register_lora(self.store, name)
            return self.store.spec(name)
        self.problems.add(
            loc,
            f"unknown parameter '{name}'{did_you_mean(name, self.store.names())} "
            "(`perform osc-map` lists them all)",
        )
        return None

    def _check_range(
        self, spec: ParamSpec, range_: tuple[Any, Any] | None, loc: tuple[Any, ...]
    ) -> bool:
        if range_ is None:
            return True
        if spec.kind == "enum":
            for value in range_:
                if isinstance(value, str) and value not in spec.choices:
                    self.problems.add(
                        loc,
                        f"'{value}' is not a choice of {spec.name}"
                        f"{did_you_mean(value, spec.choices)}; choices: {', '.join(spec.choices)}",
                    )
                    return False
                if not isinstance(value, str) and not 0 <= int(value) < len(spec.choices):
                    self.problems.add(
                        loc, f"index {value} is outside {spec.name}'s {len(spec.choices)} choices"
                    )
                    return False
            return True
        if spec.kind != "continuous":
            self.problems.add(
                loc, f"{spec.name} is a {spec.kind} parameter; range applies to numbers and enums"
            )
            return False
        for value in range_:
            if isinstance(value, str | bool) or not spec.min <= float(value) <= spec.max:
                self.problems.add(
                    loc, f"{value!r} is outside {spec.name}'s range {spec.min:g}..{spec.max:g}"
                )
                return False
        return True

    def _mode(
        self,
        model: BindModel,
        key: ControlKey,
        control: ControlDef | None,
        targets: list[Target],
        loc: tuple[Any, ...],
    ) -> tuple[Mode | None, str | None]:
        encoder = model.encoder or (control.encoder if control else None)
        momentary_only = any(t.action or t.trigger for t in targets)
        is_button = (
            model.button is not None
            or (control is not None and control.button)
            or key[0] == "note"
            or momentary_only
        )
        if encoder is not None:
            if key[0] != "cc":
                self.problems.add((*loc, "encoder"), "relative encoders send plain CCs; use cc = N")
                return None, None
            if momentary_only or model.button is not None:
                self.problems.add(
                    loc, "an encoder moves parameters; bind a button for actions and triggers"
                )
                return None, None
            return "encoder", None
        if not is_button:
            return "absolute", None
        button = model.button or ("press" if momentary_only else "toggle")
        if button == "radio":
            for i, target in enumerate(targets):
                if not target.action and target.value is None:
                    self.problems.add(
                        (*loc, "value"),
                        f"a radio button needs value = (which {target.name} it selects)",
                    )
                    return None, None
                if target.action and model.group is None and i == 0:
                    self.problems.add(
                        (*loc, "group"),
                        'radio buttons on actions need group = "name" (to light one at a time)',
                    )
                    return None, None
        return "button", button


def _inherit(model: TargetModel, bind: BindModel):  # noqa: ANN202 - small closure
    def pick(name: str, default: Any) -> Any:
        value = getattr(model, name)
        if value is None and model is not bind:
            value = getattr(bind, name)
        return default if value is None else value

    return pick


def check_conflicts(device: DeviceMapping, problems: Problems) -> None:
    seen: dict[tuple[Any, ...], Binding] = {}
    for binding in device.bindings:
        everywhere: list[str | None] = list(device.pages) or [None]
        pages: list[str | None] = [binding.page] if binding.page is not None else everywhere
        for page in pages:
            layer = (binding.key, page, binding.shift)
            other = seen.get(layer)
            if other is not None and other is not binding:
                where = f" on page '{page}'" if page else ""
                problems.lines.append(
                    f"{binding.where}: {binding.control} is bound twice{where} "
                    f"(also at line {other.line}: {other.describe_targets()}); "
                    "use targets = [...] for one control moving several things"
                )
                break
            seen[layer] = binding


def led_rule(
    device: DeviceMapping, store: ParamStore, model: Any, index: int, problems: Problems
) -> LedRule | None:
    loc = ("led", index)
    control = find_control(device, model.control, problems, (*loc, "control"))
    if control is None:
        return None
    if control.led is None:
        problems.add(
            (*loc, "control"),
            f"control '{control.name}' has no LED (give it led = \"cc\" in [controls])",
        )
        return None
    if model.follows is not None:
        if find_control(device, model.follows, problems, (*loc, "follows")) is None:
            return None
        return LedRule(control.name, follows=model.follows)
    if model.param not in store:
        problems.add(
            (*loc, "param"),
            f"unknown parameter '{model.param}'{did_you_mean(model.param, store.names())}",
        )
        return None
    equals = model.equals
    if equals is not None:
        try:
            equals = store.spec(model.param).coerce(equals)
        except Exception as exc:
            problems.add((*loc, "equals"), str(exc))
            return None
    return LedRule(control.name, param=model.param, above=model.above, equals=equals)
