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
        # every sample measured (the sender goes on until they were: it may be more)
        assert result.metrics["samples"] >= 60, result
        assert result.metrics["p50_ms"] > 0, result
    assert not math.isnan(midi.metrics["loop_lag_p99_ms"])


def test_the_jack_hop_baseline(jack):
    result = control._jack_hop(40)
    assert result.metrics["samples"] >= 40 and result.metrics["p50_ms"] > 0
