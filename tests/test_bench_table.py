"""The bench table fits a 100-column terminal, and every figure is still in it or the JSON."""

from __future__ import annotations

import json

from perform.bench.common import Result, _fmt, format_table, to_json


def wide_results() -> list[Result]:
    metrics = {f"p{q}_latency_{part}_ms": q / 7 for q in (50, 95, 99) for part in "abcd"}
    return [
        Result(
            "engines",
            "organism frame with colour and device->host copy, every preset",
            {**metrics, "steps_per_s": 12345.678},
            params={"preset": "medusa", "world": 1024, "backend": "numpy", "fft": "scipy"},
            note="measured side by side with the prototype in one run; "
            "the prototype is slower on two cores " * 3,
        ),
        Result("core", "tiny", {"fps": 30.0}),
    ]


def test_every_line_fits_100_columns_and_every_figure_is_shown():
    results = wide_results()
    table = format_table(results)
    lines = table.splitlines()
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
    assert lines[0].startswith("suite") and "figures" in lines[0]
    for result in results:
        for name, value in result.metrics.items():
            assert f"{name} {_fmt(value)}" in table
    # The case and its params are there, wrapped under the case column.
    assert "preset=medusa" in table and "world=1024" in table
    # The short row stays one line.
    assert any(line.startswith("core") and "fps 30.0" in line for line in lines)


def test_the_json_keeps_what_the_table_had_to_cut():
    results = wide_results()
    record = json.loads(to_json(results))
    assert record["results"][0]["note"] == results[0].note
    assert "…" in format_table(results)  # the note is longer than a line: cut in the table
