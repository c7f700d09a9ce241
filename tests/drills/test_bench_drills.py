"""`perform bench drills` runs its cases end to end (figures are reported, not asserted:
two shared cores are too noisy; the bench command prints them)."""

from __future__ import annotations

import argparse
import math

from perform.bench import drills
from perform.commands.bench import SUITES


def test_the_suite_is_registered_and_other_modules_can_add_drills(tmp_path, monkeypatch):
    assert "drills" in SUITES
    import perform.bench as package

    extra = tmp_path / "perform_bench_extra"
    extra.mkdir()
    (extra / "drills_extra.py").write_text(
        "from perform.bench.common import Result\n"
        "CASES = [lambda options: [Result('drills', 'extra drill', {'x': 1.0})]]\n"
    )
    # only the extra folder: the real drills_* modules (the Scope drills) are long runs
    monkeypatch.setattr(package, "__path__", [str(extra)])
    monkeypatch.setattr(drills, "CASES", [])
    results = drills.run(argparse.Namespace(quick=True))
    assert [r.name for r in results] == ["extra drill"]


def test_the_replug_drill_counts_every_replug(jack):
    # the test session's JACK server (starting a second one is slow on a busy machine)
    (result,) = drills.replugs(argparse.Namespace(quick=True), own_server=False)
    assert result.metrics.get("replugs") == 5, result
    assert result.metrics["detected"] == 5, result
    assert not math.isnan(result.metrics["max_detect_s"])


def test_one_case_can_be_picked_and_an_unknown_one_is_named(monkeypatch):
    import pytest

    from perform.errors import PerformError

    ran: list[str] = []

    def osc_flood(options):
        ran.append("osc_flood")
        return []

    def replugs(options):
        ran.append("replugs")
        return []

    monkeypatch.setattr(drills, "CASES", [osc_flood, replugs])
    monkeypatch.setattr(drills, "extensions", lambda: [])
    drills.run(argparse.Namespace(quick=True, cases=["replugs"]))
    assert ran == ["replugs"]
    with pytest.raises(PerformError, match="osc_floods.*did you mean.*osc_flood"):
        drills.run(argparse.Namespace(quick=True, cases=["osc_floods"]))
    assert ran == ["replugs"]
