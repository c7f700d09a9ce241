"""The planner's VACE keys: the scale persists (and re-sends), the images go once."""

from __future__ import annotations

import pytest

from tests.stream.test_channel import make


def test_every_new_stream_carries_the_current_vace_scale():
    store, planner, _ = make()
    assert planner.initial(["longlive"], "text", {})["vace_context_scale"] == 1.0
    store.apply("scope.vace_scale", 0.35, "tui")
    # Scope injects 1.0 into a stream that does not name it: a reconnect must not lose it.
    assert planner.initial(["longlive"], "video", {})["vace_context_scale"] == pytest.approx(0.35)


def test_the_scale_is_a_plain_value_and_the_images_a_one_shot():
    store, planner, _ = make()
    store.apply("scope.vace_scale", 1.6, "midi")
    planner.vace_images(["/assets/perform/a.png"], 0.0)
    (message,) = planner.due(0.0)
    assert message == {
        "vace_context_scale": pytest.approx(1.6),
        "vace_ref_images": ["/assets/perform/a.png"],
    }
    # After a quiet spell the plain value may be repeated (a dropped final value), the
    # images never: each vace_ref_images re-encodes the references in Scope.
    later = planner.next_wake()
    assert later is not None
    (settle,) = planner.due(later)
    assert settle == {"vace_context_scale": pytest.approx(1.6)}
    planner.vace_images([], later)  # [] clears
    assert planner.due(later + 1) == [{"vace_ref_images": []}]
