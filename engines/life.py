"""Life-like cellular automata with B/S rules (the prototype's ``life.py``, wired in).

A cell is born with a neighbour count in B and survives with one in S (Moore
neighbourhood, wrapped). The picture is a trail: live cells at full strength, dead
ones fading by ``life.fade`` per step, so gliders leave comet tails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engines.base import Look, ParamDecl
from engines.discrete import DiscreteEngine
from engines.seeds import SeedSpec

#: Rules a performer can step through (the prototype's five first, then classics).
#: Not B1357/S1357 (Fredkin's parity rule): it turns over every cell every step, so any
#: picture strobes under it (a flash of 19 and a period-2 flicker of 3 in mean luminance
#: at 128^2, 23 -> 130 in a quarter second at 512^2; issue 15), which no regulation can
#: hold without replacing the rule.
RULES = (
    "B3/S23",
    "B36/S23",
    "B3678/S34678",
    "B35678/S5678",
    "B2/S",
    "B3/S12345",
    "B368/S245",
    "B34/S34",
)


def parse_rule(rule: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``"B36/S23"`` -> ((3, 6), (2, 3)); ValueError with the reason otherwise."""
    try:
        born, survive = rule.upper().split("/")
        if not (born.startswith("B") and survive.startswith("S")):
            raise ValueError
        b = tuple(sorted({int(c) for c in born[1:]}))
        s = tuple(sorted({int(c) for c in survive[1:]}))
    except ValueError:
        raise ValueError(f"'{rule}' is not a B/S rule like 'B3/S23'") from None
    if any(c > 8 for c in b + s):
        raise ValueError(f"'{rule}': neighbour counts go from 0 to 8")
    return b, s


class Life(DiscreteEngine):
    name = "life"
    title = "Life-like CA"
    params = (
        ParamDecl(
            "life.rule",
            "B3/S23",
            kind="enum",
            choices=RULES,
            role="rule",
            doc="Birth/survival rule (neighbour counts).",
        ),
        ParamDecl("life.fade", 0.92, 0.5, 0.99, role="safe", doc="Trail left by dead cells."),
    )
    look = Look(weights=(0.55, 0.25, 0.20), bloom=0.15, hue_drift=1 / 10, zones=0.5)
    default_seed = SeedSpec("soup", 0.35)

    def allocate(self) -> None:
        super().allocate()
        self._tables: dict[str, Any] = {}

    def _table(self, rule: str) -> Any:
        """``table[alive * 9 + count]`` is the next state."""
        table = self._tables.get(rule)
        if table is None:
            born, survive = parse_rule(rule)
            values = [1.0 if c in born else 0.0 for c in range(9)]
            values += [1.0 if c in survive else 0.0 for c in range(9)]
            table = self._tables[rule] = self.xp.asarray(values, dtype=self.xp.float32)
        return table

    def advance(self, params: Mapping[str, Any]) -> None:
        xp = self.xp
        rule = str(params.get("life.rule", "B3/S23"))
        fade = float(params.get("life.fade", 0.92))
        count = self._neighbours(self.state)
        index = self._tmp
        xp.multiply(self.state, 9.0, out=index)
        index += count
        xp.take(self._table(rule), index.astype(xp.int32), out=self.state)
        self.display *= fade
        xp.maximum(self.display, self.state, out=self.display)
