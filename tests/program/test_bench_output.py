"""``perform bench output --quick`` runs end to end and records the figures the issue names."""

from __future__ import annotations

import json

from tests.helpers import run_perform


def test_bench_output_prints_and_records_its_keys(tmp_path):
    record = tmp_path / "bench.json"
    result = run_perform("bench", "output", "--quick", "--json", str(record), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "compose mix" in result.stdout and "failover" in result.stdout
    results = json.loads(record.read_text())["results"]
    by_case = {(r["name"], r["params"].get("size")): r["metrics"] for r in results}
    for size in ("1920x1080", "512x512"):
        assert by_case[("compose mix", size)]["program_cpu_ms_per_frame"] > 0
    failover = by_case[("failover", None)]
    assert {"failover_s", "failback_s", "failover_from_last_frame_s"} <= set(failover)
    assert failover["failback_s"] > failover["failover_s"] > 0
