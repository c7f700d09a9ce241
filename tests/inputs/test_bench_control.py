"""`perform bench control` runs its cases end to end (figures are not asserted: 2 shared
cores are too noisy for that; the bench command reports them)."""

from __future__ import annotations

import math

from perform.bench import control


async def test_the_midi_and_osc_cases_measure_every_sample(jack, tmp_path):
    from perform.bench.common import fader_mapping

    mapping = fader_mapping(tmp_path / "bench.toml", "Bench controller")
    midi, inside = await control._midi_case(60, mapping)
    (osc,) = await control._osc_case(60)
    for result in (midi, inside, osc):
        assert result.metrics["samples"] == 60, result
        assert 0 < result.metrics["p50_ms"] <= result.metrics["p99_ms"] <= result.metrics["max_ms"]
    assert not math.isnan(midi.metrics["loop_lag_p99_ms"])
    assert inside.metrics["p50_ms"] < midi.metrics["p50_ms"]  # perform's share is a part of it


def test_the_jack_hop_baseline(jack):
    result = control._jack_hop(40)
    assert result.metrics["samples"] == 40 and result.metrics["p50_ms"] > 0
