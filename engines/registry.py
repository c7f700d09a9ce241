"""Every engine by name (the prefix of its parameters)."""

from __future__ import annotations

from engines.base import Engine
from engines.cyclic import Cyclic
from engines.excitable import Excitable
from engines.gray_scott import GrayScott
from engines.lenia import Lenia
from engines.life import Life
from engines.mnca import Mnca
from engines.smoothlife import SmoothLife

ENGINES: dict[str, type[Engine]] = {
    cls.name: cls for cls in (Lenia, SmoothLife, Mnca, GrayScott, Life, Excitable, Cyclic)
}
