"""The README's ``[output]`` example is valid and shows the defaults."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from perform.config import AppConfig, OutputConfig
from perform.inputs.oscspace import STATE

README = Path(__file__).resolve().parents[2] / "README.md"


def section() -> str:
    return README.read_text(encoding="utf-8").split("## The program: what the audience sees")[1]


def test_readme_output_example_is_the_defaults():
    block = re.search(r"```toml\n(.*?)```", section(), re.S).group(1)
    config = AppConfig.model_validate(tomllib.loads(block))
    assert config.output == OutputConfig()


def test_readme_names_every_program_osc_address():
    text = section()
    addresses = [a for a, _, _ in STATE if a.startswith("/vj/program/")]
    assert len(addresses) == 5
    assert all(f"`{a}`" in text for a in addresses)
