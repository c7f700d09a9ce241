"""What Scope has against what the config and the shows ask for (``perform loras``).

Why: Scope opens a LoRA path exactly as given (contract §4), and a file in the wrong
folder, a typo in a stem or a file never copied to a cloud pod is found only as a failed
pipeline load on stage, with the reason in Scope's log. Here every wanted file is matched
to the server's list (``GET /api/v1/loras``: absolute paths) before the show, and each
mismatch is said with where it was asked for and what Scope has instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from perform.config import AppConfig
from perform.errors import SetlistError, did_you_mean
from perform.setlist import SetlistFile
from perform.stream.scope_api import LoraFile
from perform.tomlfile import format_loc, read_toml, validate


@dataclass(frozen=True)
class Wanted:
    """One LoRA a config or a show asks for."""

    where: str
    """``perform.toml: [scope] loras[0]`` or ``show.toml:12: scope.loras[1]``."""
    file: str
    """A stem (config) or an absolute server-side path (config or show)."""

    @property
    def absolute(self) -> bool:
        return PurePosixPath(self.file).is_absolute() or PureWindowsPath(self.file).is_absolute()

    @property
    def stem(self) -> str:
        return PurePosixPath(self.file.replace("\\", "/")).name.removesuffix(".safetensors")


@dataclass
class Inventory:
    files: list[LoraFile]
    wanted: list[Wanted]
    users: dict[str, list[str]] = field(default_factory=dict)
    """Server path -> where it is asked for."""
    missing: list[tuple[Wanted, str]] = field(default_factory=list)
    """(what was asked for, why it does not match)."""


def from_config(config: AppConfig, where: str = "config") -> list[Wanted]:
    return [
        Wanted(f"{where}: [scope] loras[{i}]", lora.file)
        for i, lora in enumerate(config.scope.loras)
    ]


def from_show(path: Path) -> list[Wanted]:
    """The show's ``[[scope.loras]]`` with file:line (validated, semantics not needed)."""
    source = read_toml(path, SetlistError)
    data = validate(source, SetlistFile, SetlistError)
    out = []
    for i, lora in enumerate(data.scope.loras if data.scope else []):
        loc = ("scope", "loras", i, "path")
        out.append(Wanted(f"{source.where(loc)}: {format_loc(loc)}", lora.path))
    return out


def match(wanted: Wanted, files: list[LoraFile]) -> tuple[LoraFile | None, str]:
    """The server file ``wanted`` names, or None and why not."""
    if wanted.absolute:
        exact = [f for f in files if f.path == wanted.file]
        if exact:
            return exact[0], ""
        elsewhere = [f for f in files if f.name == wanted.stem]
        if elsewhere:
            return None, (
                f"Scope has '{wanted.stem}' at {elsewhere[0].path}, not at {wanted.file} "
                "(another folder?): Scope opens the path exactly as given"
            )
    else:
        stems = [f for f in files if f.name == wanted.stem]
        if stems:
            return stems[0], ""
    hint = did_you_mean(wanted.stem, [f.name for f in files])
    return None, (
        f"'{wanted.stem}' is not on the Scope server{hint}: copy it into Scope's lora folder "
        "or `perform loras install URL`"
    )


def take_stock(files: list[LoraFile], wanted: list[Wanted]) -> Inventory:
    inventory = Inventory(files, wanted)
    for item in wanted:
        found, why = match(item, files)
        if found is None:
            inventory.missing.append((item, why))
        else:
            inventory.users.setdefault(found.path, []).append(item.where)
    return inventory


def format_inventory(url: str, inv: Inventory) -> str:
    lines = [f"Scope at {url}: {len(inv.files)} LoRA file{'s' if len(inv.files) != 1 else ''}"]
    if inv.files:
        lines.append(f"  {'name':<22} {'folder':<10} {'size':>10}  {'sha256':<14} asked for by")
    for f in inv.files:
        size = f"{f.size_mb:.1f} MB" if f.size_mb is not None else "?"
        sha = f.sha256[:12] + ".." if f.sha256 else "-"
        users = inv.users.get(f.path)
        lines.append(
            f"  {f.name:<22} {f.folder or '-':<10} {size:>10}  {sha:<14} "
            + ("; ".join(users) if users else "(not used)")
        )
    if inv.missing:
        lines.append(f"Missing on the server ({len(inv.missing)}):")
        for item, why in inv.missing:
            lines.append(f"  MISSING  {item.where}: {why}")
    elif inv.wanted:
        lines.append(f"All {len(inv.wanted)} LoRAs asked for are on the server.")
    else:
        lines.append("Nothing asks for a LoRA (config [scope] loras, --show FILE).")
    return "\n".join(lines)


CHECK_TIMEOUT = 3.0
"""``perform check`` must not hang on an unreachable server."""


def check_show_on_scope(path: Path, config: AppConfig) -> str | None:
    """``perform check``: a show's LoRAs and VACE pipeline against the Scope server.

    Returns a summary line (None when the show needs nothing from the server); raises
    SetlistError naming the file, line and key for each mismatch. An unreachable server
    is said, not an error: the show may be checked on a laptop away from the GPU box.
    """
    import asyncio

    from perform.setlist import load_setlist
    from perform.stream.loading import vace_refusal
    from perform.stream.scope_api import ScopeAPI, ScopeOffline

    setlist = load_setlist(path)
    source = read_toml(path, SetlistError)
    wanted = from_show(path)
    vace = bool(setlist.vace_assets())
    if not wanted and not vace:
        return None
    url = config.scope.url
    pipeline = (
        setlist.scope.pipeline_ids[-1] if setlist.scope is not None else config.scope.pipeline
    )

    async def ask() -> tuple[list[LoraFile], dict[str, dict[str, object]]]:
        async with ScopeAPI(url, timeout=CHECK_TIMEOUT) as api:
            await api.health(check=False)
            return await api.loras(), await api.schemas()

    try:
        files, schemas = asyncio.run(ask())
    except ScopeOffline:
        return f"Scope at {url} not reachable: LoRA files and VACE support not checked"
    problems = [f"{item.where}: {why}" for item, why in take_stock(files, wanted).missing]
    if vace:
        refusal = vace_refusal(pipeline, dict(schemas.get(pipeline) or {}))
        if refusal is not None:
            first = next(i for i, s in enumerate(setlist.scenes) if s.vace_images)
            loc = ("scenes", first, "vace_images")
            problems.append(f"{source.where(loc)}: {format_loc(loc)}: {refusal}")
    if problems:
        raise SetlistError("\n".join(problems), title="Not ready on Scope")
    return f"Scope at {url}: {len(wanted)} LoRA file{'s' if len(wanted) != 1 else ''} present" + (
        f", {pipeline} takes VACE images" if vace else ""
    )
