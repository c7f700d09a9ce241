"""``perform bench stream --preset KEY``: the encoders on a preset's organism as a show
renders it, plus H.264 at constant quality (the bitrate a look costs, issue 15 item 4)."""

from __future__ import annotations

import argparse

import pytest

from perform.bench import encoders, stream


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_stream_encodes_a_presets_frames_at_constant_quality(monkeypatch):
    monkeypatch.setattr(encoders, "PRESET_AT", 2.0)  # the organism's age (60 s in the bench)
    results = stream.run(argparse.Namespace(quick=True, presets=["target"]))
    assert {r.params["content"] for r in results} == {"preset target"}
    cases = {r.name: r.metrics for r in results}
    crf = cases[f"encode H.264 CRF {encoders.CRF} (constant quality)"]
    assert crf["kbps_at_30fps"] > 0
    assert crf["psnr_db"] > 25  # decoded and compared with what was encoded
    vp8 = next(m for c, m in cases.items() if c.startswith("encode ours VP8"))
    assert vp8["kbps_at_30fps"] > 0 and vp8["psnr_db"] > 20
