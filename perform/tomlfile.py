"""Strict TOML files: parse with ``tomllib``, validate with pydantic, report file:line:key.

Config, mappings and setlists all load through :func:`load_model`, so every bad file
gets the same kind of message::

    setlists/demo.toml:14: scenes[2].hold: unknown key 'holdd' (did you mean 'hold'?)

``tomllib`` keeps no positions, so :class:`TomlSource` recovers the line of a key path
by scanning the text (table headers, arrays of tables, dotted keys). It is exact for
the ordinary layouts our files use and falls back to the nearest enclosing table.
"""

from __future__ import annotations

import re
import tomllib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pydantic

from perform.errors import PerformError, did_you_mean

M = TypeVar("M", bound=pydantic.BaseModel)
Loc = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"^\s*((?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _split_key(raw: str) -> list[str]:
    parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_\-]+)", raw)
    return [a or b or c for a, b, c in parts]


@dataclass
class TomlSource:
    """A parsed TOML file plus what is needed to point at its lines."""

    path: Path
    text: str
    data: dict[str, Any]
    _lines: dict[Loc, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._lines = _index_lines(self.text)

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """Best line number (1-based) for a key path, or None."""
        loc = tuple(loc)
        while loc:
            if loc in self._lines:
                return self._lines[loc]
            loc = loc[:-1]
        return None

    def where(self, loc: Sequence[str | int] = ()) -> str:
        """``path:line`` (or just ``path``) for messages."""
        line = self.line_of(loc)
        return f"{self.path}:{line}" if line else str(self.path)


def _index_lines(text: str) -> dict[Loc, int]:
    lines: dict[Loc, int] = {}
    table: Loc = ()
    array_counts: dict[Loc, int] = {}
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("#"):
            path = _in_arrays(tuple(_split_key(header.group(2))), array_counts)
            if header.group(1) == "[[":
                index = array_counts.get(path, -1) + 1
                array_counts[path] = index
                table = (*path, index)
            else:
                table = path
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            full = (*table, *_split_key(key.group(1)))
            lines.setdefault(full, number)
            rest = line[key.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_multiline = quote
    return lines


def _in_arrays(path: Loc, array_counts: dict[Loc, int]) -> Loc:
    """``[scenes.params]`` after ``[[scenes]]`` means the last scene: insert its index."""
    out: Loc = ()
    raw: Loc = ()
    for part in path:
        raw = (*raw, part)
        out = (*out, part)
        if raw in array_counts and raw != path:
            out = (*out, array_counts[raw])
    return out


MAX_FILE_BYTES = 1 << 20
"""Config, mapping and show files are a few kB: a bigger one is refused before parsing
(a 50 MB mapping once ran 5 minutes at 3.2 GB in the parser and validator)."""
MAX_ENTRIES = 2000
"""Scenes in a show, bindings or LED rules in a mapping: more is a mistake or an attack."""


def check_size(path: Path, size: int, error: type[PerformError] = PerformError) -> None:
    """Refuse a file bigger than :data:`MAX_FILE_BYTES` with a clear message."""
    if size > MAX_FILE_BYTES:
        raise error(
            f"{path}: {size / 1e6:.1f} MB is too big for a show, mapping or config file "
            f"(the limit is {MAX_FILE_BYTES // 1024} kB); is it the right file?"
        )


def read_toml(path: str | Path, error: type[PerformError] = PerformError) -> TomlSource:
    """Read and parse a TOML file; syntax errors name the file and line."""
    path = Path(path)
    try:
        check_size(path, path.stat().st_size, error)
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # the file may grow between stat and read
        check_size(path, len(raw), error)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        where = f"{path}:{match.group(1)}" if match else str(path)
        raise error(f"{where}: not valid TOML: {exc}") from None
    return TomlSource(path=path, text=text, data=data)


def format_loc(loc: Sequence[str | int]) -> str:
    """``("scenes", 2, "hold")`` -> ``scenes[2].hold``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


MAX_PROBLEMS = 12
"""How many of a file's problems one message lists (the rest are counted)."""


@dataclass
class Problems:
    """A file's problems, collected so they are reported together as ``file:line: key:
    problem`` lines: the file is then refused whole (mappings, shows)."""

    source: TomlSource
    lines: list[str] = field(default_factory=list)

    def add(self, loc: Sequence[str | int], problem: str) -> None:
        key = format_loc(loc) or "(top level)"
        self.lines.append(f"{self.source.where(loc)}: {key}: {problem}")

    def raise_if_any(self, error: type[PerformError]) -> None:
        if not self.lines:
            return
        shown = self.lines[:MAX_PROBLEMS]
        more = len(self.lines) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more problem(s) in {self.source.path}")
        raise error("\n".join(shown))


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes a field annotation may hold (through Optional, list, dict)."""
    found: list[Any] = []
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return [annotation]
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, dict) or origin is not None:
        for arg in typing.get_args(annotation):
            found.extend(_unwrap(arg))
    return found


def _fields_at(model: type[pydantic.BaseModel], loc: Loc) -> list[str]:
    """Valid keys of the table found at ``loc`` inside ``model`` (best effort)."""
    current: list[type[pydantic.BaseModel]] = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        nxt: list[type[pydantic.BaseModel]] = []
        for cls in current:
            info = cls.model_fields.get(part)
            if info is None:
                for name, f in cls.model_fields.items():
                    if f.alias == part:
                        info = cls.model_fields[name]
            if info is not None:
                nxt.extend(_unwrap(info.annotation))
        if not nxt:
            return []
        current = nxt
    keys: list[str] = []
    for cls in current:
        keys.extend(f.alias or name for name, f in cls.model_fields.items())
    return keys


def describe_validation_error(
    source: TomlSource,
    exc: pydantic.ValidationError,
    model: type[pydantic.BaseModel],
    limit: int = 5,
) -> str:
    """Turn pydantic errors into ``file:line: key: problem`` lines."""
    out: list[str] = []
    for err in exc.errors()[:limit]:
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        key = format_loc(loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            name = str(loc[-1]) if loc else "?"
            hint = did_you_mean(name, _fields_at(model, loc[:-1]))
            parent = format_loc(loc[:-1])
            scope = f" in [{parent}]" if parent else ""
            problem = f"unknown key '{name}'{scope}{hint}"
        elif err["type"] == "missing":
            problem = "required key is missing"
        else:
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            got = err.get("input")
            shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
            problem = f"{msg}{shown}"
        out.append(f"{source.where(loc)}: {key}: {problem}")
    extra = len(exc.errors()) - limit
    if extra > 0:
        out.append(f"... and {extra} more problem(s) in {source.path}")
    return "\n".join(out)


def validate(
    source: TomlSource, model: type[M], error: type[PerformError] = PerformError, **context: Any
) -> M:
    """Validate parsed TOML against a strict pydantic model."""
    try:
        return model.model_validate(source.data, context={"source": source, **context})
    except pydantic.ValidationError as exc:
        raise error(describe_validation_error(source, exc, model)) from None


def load_model(path: str | Path, model: type[M], error: type[PerformError], **context: Any) -> M:
    """Read + validate in one go."""
    return validate(read_toml(path, error), model, error, **context)


class Strict(pydantic.BaseModel):
    """Base for file models: unknown keys are errors, values are not coerced loosely."""

    model_config = pydantic.ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )
