"""Every binding feature through the mapper and the real store."""

from __future__ import annotations

import pytest

from tests.mapping.helpers import DEVICE, cc, note, osc

JUMP = 'takeover = "jump"\n'


def test_range_invert_curve_steps_deadzone(mapper, store):
    m = mapper(
        '[[bind]]\ncc = 1\nparam = "engine.speed"\nrange = [0.5, 2.5]\n' + JUMP + "\n"
        '[[bind]]\ncc = 2\nparam = "master.fade"\ninvert = true\n' + JUMP + "\n"
        '[[bind]]\ncc = 3\nparam = "color.hue"\ncurve = "exponential"\n' + JUMP + "\n"
        '[[bind]]\ncc = 4\nparam = "tempo.bpm"\nrange = [20, 120]\nsteps = 11\n' + JUMP + "\n"
        '[[bind]]\ncc = 5\nparam = "scope.noise_scale"\ndeadzone = 0.1\n' + JUMP
    )
    m.handle([cc(1, 127), cc(2, 127), cc(3, 64), cc(4, 50), cc(5, 5)])
    assert store.get("engine.speed") == 2.5
    assert store.get("master.fade") == 0.0
    assert 0.0 < store.get("color.hue") < 0.2  # exponential: slow start
    assert store.get("tempo.bpm") == 60.0  # 50/127 = 0.39 -> step 4 of 10
    assert store.get("scope.noise_scale") == 0.0  # inside the bottom deadzone
    m.handle([cc(5, 120)])
    assert store.get("scope.noise_scale") == 1.0
    assert all(store.last_source(n) == "midi" for n in ("engine.speed", "master.fade"))


def test_a_batch_keeps_the_latest_fader_value_and_applies_atomically(mapper, store):
    m = mapper('[[bind]]\ncc = 1\nparam = "color.hue"\n' + JUMP)
    versions = []
    store.subscribe(lambda changes: versions.append(dict(changes)))
    writes = m.handle([cc(1, 10), cc(1, 20), cc(1, 30)])
    assert writes.values == {"color.hue": 30 / 127}
    assert m.stats.collapsed == 2 and m.stats.events == 3
    assert len(versions) == 1  # one write, one notification


def test_macro_moves_several_targets_each_with_its_own_shape(mapper, store):
    m = mapper(
        '[[bind]]\ncc = 1\ntakeover = "jump"\ntargets = [\n'
        '  { param = "engine.speed", range = [1.0, 3.0] },\n'
        '  { param = "color.brightness", range = [2.0, 0.5], curve = "s-curve" },\n'
        '  { param = "engine.preset" },\n]\n'
    )
    m.handle([cc(1, 127)])
    assert store.get("engine.speed") == 3.0
    assert store.get("color.brightness") == 0.5
    assert store.get("engine.preset") == store.spec("engine.preset").choices[-1]  # the top
    m.handle([cc(1, 0)])
    assert (store.get("engine.speed"), store.get("color.brightness")) == (1.0, 2.0)


def test_smoothing_ramps_the_target(mapper, store, clock):
    m = mapper('[[bind]]\ncc = 1\nparam = "master.fade"\nsmoothing = 2.0\n' + JUMP)
    m.handle([cc(1, 0)])
    assert store.ramping("master.fade")
    clock.t += 1.0
    store.advance()
    assert store.get("master.fade") == pytest.approx(0.5)
    assert store.last_source("master.fade") == "midi"


def test_buttons_momentary_toggle_press_release(mapper, store):
    m = mapper(
        '[[bind]]\nnote = 1\nparam = "master.fade"\nbutton = "momentary"\nrange = [1.0, 0.0]\n\n'
        '[[bind]]\nnote = 2\nparam = "engine.freeze"\n\n'  # notes default to toggle
        '[[bind]]\ncc = 64\nparam = "engine.reseed"\n\n'  # triggers default to press
        '[[bind]]\nnote = 3\naction = "cue.go"\nbutton = "release"\n\n'
        '[[bind]]\ncc = 65\naction = "cue.goto"\narg = 3\nthreshold = 0.9\n'
    )
    m.handle([note(1, 127)])
    assert store.get("master.fade") == 0.0  # held: black
    m.handle([note(1, 0)])
    assert store.get("master.fade") == 1.0
    m.handle([note(2, 100), note(2, 0)])
    assert store.get("engine.freeze") == "on"
    m.handle([note(2, 100), note(2, 0)])
    assert store.get("engine.freeze") == "off"
    m.handle([cc(64, 127), cc(64, 127), cc(64, 0)])  # a repeated 127 is not a second press
    assert store.get("engine.reseed") == 1
    m.handle([note(3, 127)])
    assert store.calls == []
    m.handle([note(3, 0)])
    assert store.calls == [("cue.go", None, "midi")]
    m.handle([cc(65, 100)])  # below the 0.9 threshold
    m.handle([cc(65, 120)])
    assert store.calls[-1] == ("cue.goto", 3, "midi")


def test_radio_buttons_on_a_parameter_and_on_actions(mapper, store):
    m = mapper(
        '[[bind]]\nnote = 1\nparam = "color.palette"\nbutton = "radio"\nvalue = "cuttlefish"\n\n'
        '[[bind]]\nnote = 2\nparam = "color.palette"\nbutton = "radio"\nvalue = "deep_coral"\n\n'
        '[[bind]]\nnote = 10\naction = "cue.goto"\narg = 1\nbutton = "radio"\ngroup = "scenes"\n\n'
        '[[bind]]\nnote = 11\naction = "cue.goto"\narg = 2\nbutton = "radio"\ngroup = "scenes"\n'
    )
    device = m.devices[DEVICE]
    by_note = {b.key[2]: b for b in device.bindings}
    m.handle([note(2, 127), note(2, 0)])
    assert store.get("color.palette") == "deep_coral"
    assert (m.level(by_note[1]), m.level(by_note[2])) == (0.0, 1.0)
    m.handle([note(1, 127), note(1, 0)])
    assert (m.level(by_note[1]), m.level(by_note[2])) == (1.0, 0.0)
    m.handle([note(11, 127), note(11, 0)])
    assert store.calls[-1] == ("cue.goto", 2, "midi")
    assert (m.level(by_note[10]), m.level(by_note[11])) == (0.0, 1.0)


def test_encoders_every_encoding_sensitivity_and_acceleration(mapper, store):
    m = mapper(
        '[[bind]]\ncc = 1\nparam = "engine.speed"\nencoder = "twos-complement"\n\n'
        '[[bind]]\ncc = 2\nparam = "engine.speed"\nencoder = "binary-offset"\nsensitivity = 2.0\n\n'
        '[[bind]]\ncc = 3\nparam = "engine.speed"\nencoder = "sign-magnitude"\n\n'
        '[[bind]]\ncc = 4\nparam = "engine.speed"\nencoder = "signed-bit-2"\nacceleration = 3.0\n\n'
        '[[bind]]\ncc = 5\nparam = "color.palette"\nencoder = "twos-complement"\n'
    )
    step = 4.0 / 127  # one tick of a 0..4 range
    speed = lambda: store.get("engine.speed")  # noqa: E731
    m.handle([cc(1, 1)])
    assert speed() == pytest.approx(1.0 + step)
    m.handle([cc(1, 127)])
    m.handle([cc(1, 127)])
    assert speed() == pytest.approx(1.0 - step)
    m.handle([cc(1, 3)])  # a fast hardware turn sends bigger steps
    assert speed() == pytest.approx(1.0 + 2 * step)
    m.handle([cc(2, 65)])  # binary offset +1 at sensitivity 2
    assert speed() == pytest.approx(1.0 + 4 * step)
    m.handle([cc(3, 66)])  # sign-magnitude -2
    assert speed() == pytest.approx(1.0 + 2 * step)
    # signed-bit-2: +1 per tick; ticks 10 ms apart are a fast turn (x up to 4), 1 s apart not.
    base = speed()
    m.handle([cc(4, 65, at=10.0)])
    m.handle([cc(4, 65, at=11.0)])
    assert speed() == pytest.approx(base + 2 * step)
    m.handle([cc(4, 65, at=11.01)])
    assert speed() == pytest.approx(base + 2 * step + step * (1 + 3.0 * 0.9))
    # Repeated identical increments are never filtered as "unchanged".
    m.handle([cc(1, 1), cc(1, 1), cc(1, 1)])
    assert speed() == pytest.approx(base + 2 * step + step * 3.7 + 3 * step)
    m.handle([cc(5, 1)])  # an enum steps one choice per tick
    assert store.get("color.palette") == "cuttlefish"
    m.handle([cc(5, 127)])
    assert store.get("color.palette") == "oil_slick"


def test_pages_and_shift(mapper, store):
    m = mapper(
        "[controls]\nknob = { cc = 10 }\nnext = { cc = 20, button = true }\n"
        "shift = { cc = 21, button = true }\n\n"
        '[layout]\npages = ["one", "two"]\nnext_page = "next"\nshift = "shift"\n\n'
        '[[bind]]\ncontrol = "knob"\npage = "one"\nparam = "color.hue"\n' + JUMP + "\n"
        '[[bind]]\ncontrol = "knob"\npage = "two"\nparam = "master.fade"\n' + JUMP + "\n"
        '[[bind]]\ncontrol = "knob"\nshift = true\nparam = "scope.noise_scale"\n' + JUMP
    )
    layouts = []
    m.on_layout(layouts.append)
    m.handle([cc(10, 127)])
    assert store.get("color.hue") == 1.0
    m.handle([cc(20, 127), cc(20, 0), cc(10, 0)])
    assert m.page(DEVICE) == "two" and store.get("master.fade") == 0.0
    assert store.get("color.hue") == 1.0
    m.handle([cc(21, 127), cc(10, 64)])
    assert store.get("scope.noise_scale") == pytest.approx(64 / 127)
    m.handle([cc(21, 0), cc(20, 127), cc(20, 0)])
    assert m.page(DEVICE) == "one"
    assert layouts == [DEVICE] * 4  # page, shift on, shift off, page


def test_osc_bindings_with_input_range_and_bare_messages(mapper, store):
    m = mapper(
        '[[bind]]\nosc = "/td/energy"\nparam = "engine.speed"\ninput = [0, 127]\n\n'
        '[[bind]]\nosc = "/td/go"\naction = "cue.go"\n',
        header='[device]\nname = "TD"\nkind = "osc"\n\n',
    )
    m.handle([osc("/td/energy", 127)], "osc")
    assert store.get("engine.speed") == 4.0 and store.last_source("engine.speed") == "osc"
    m.handle([osc("/td/go")], "osc")
    m.handle([osc("/td/go")], "osc")
    assert store.calls == [("cue.go", None, "osc"), ("cue.go", None, "osc")]


def test_unbound_controls_are_counted_and_published(mapper, store):
    from perform.events import CONTROL_MESSAGE, EventBus

    m = mapper('[[bind]]\ncc = 1\nparam = "color.hue"\n')
    m.events = EventBus()
    seen = []
    m.events.subscribe(CONTROL_MESSAGE, seen.append)
    m.handle([cc(99, 1), cc(1, 0)])
    assert m.stats.unbound == 1
    assert [(s.text, s.target) for s in seen] == [
        ("cc ch1 #99 = 1", None),
        ("cc ch1 #1 = 0", "color.hue"),
    ]
    assert seen[0].device == "Test"


def test_lora_targets_register_the_one_convention(mapper, store):
    mapper('[[bind]]\ncc = 1\nparam = "lora.my_style.scale"\n')
    spec = store.spec("lora.my_style.scale")
    assert (spec.min, spec.max) == (-2.0, 2.0)


def test_pitch_bend_14bit_and_nrpn_sources(mapper, store):
    from perform.mapping import ControlEvent

    m = mapper(
        '[[bind]]\npitchbend = true\nchannel = 2\nparam = "color.hue"\n' + JUMP + "\n"
        '[[bind]]\ncc14 = 3\nparam = "master.fade"\n' + JUMP + "\n"
        '[[bind]]\nnrpn = 300\nparam = "scope.noise_scale"\n' + JUMP
    )
    m.handle(
        [
            ControlEvent(DEVICE, ("pitchbend", 1, 0), 12000 / 16383, 12000),
            ControlEvent(DEVICE, ("cc14", 0, 3), 5000 / 16383, 5000),
            ControlEvent(DEVICE, ("nrpn", 0, 300), 0.25, 4096),
        ]
    )
    assert store.get("color.hue") == pytest.approx(12000 / 16383)
    assert store.get("master.fade") == pytest.approx(5000 / 16383)
    assert store.get("scope.noise_scale") == 0.25
    assert m.devices[DEVICE].cc14 == {(0, 3)}
