"""The cheat sheet lists every binding of a profile, in the section of its page/shift layer."""

from __future__ import annotations

import pytest

from perform.config import PROJECT_ROOT, AppConfig
from perform.mapping.cheatsheet import cheat_sheet, sections
from perform.mapping.check import validation_store
from perform.mapping.load import load_mapping

PROFILES = sorted((PROJECT_ROOT / "mappings").glob("*.toml"))


@pytest.mark.parametrize("path", PROFILES, ids=[p.stem for p in PROFILES])
def test_every_binding_is_on_the_sheet_in_its_layer(path):
    device = load_mapping(path, validation_store(AppConfig()), mappings_dir=path.parent)
    by_title = {s.title: s.rows for s in sections(device)}
    for binding in device.bindings:
        if binding.shift:
            title = next(t for t in by_title if t.startswith("shift"))
        elif binding.page:
            title = f'page "{binding.page}"'
        else:
            title = "every page" if device.pages else "controls"
        rows = [r for r in by_title[title] if r.control == binding.control]
        assert rows, f"{binding.control} missing from {title}"
        assert all(t.name in rows[0].does for t in binding.targets)
    lines = cheat_sheet(device)
    assert lines[0] == device.name
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
