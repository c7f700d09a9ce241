"""``perform loras``: LoRA files checked before the show.

perform loras [--show FILE]...            what Scope has beside what config and shows ask for
perform loras check FILE... [--pipeline P]  validate local .safetensors files (no weights loaded)
perform loras install URL [--sha256 HEX]  have Scope fetch a LoRA (CivitAI / Hugging Face)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from perform.errors import PerformError

INSTALL_TIMEOUT = 3600.0
"""A multi-GB LoRA over a slow link: Scope answers only once the file is on its disk."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("loras", help="LoRA files: what Scope has, checks, installs")
    parser.add_argument("--scope", metavar="URL", help="the server (default: [scope] url)")
    parser.add_argument(
        "--show", action="append", default=[], metavar="FILE", help="a show whose LoRAs to match"
    )
    parser.set_defaults(func=list_main)
    sub = parser.add_subparsers(dest="loras_command", metavar="ACTION")
    check = sub.add_parser("check", help="validate local .safetensors files without loading them")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument(
        "--pipeline", help="the pipeline that will load them (default: [scope] pipeline)"
    )
    check.set_defaults(func=check_main)
    install = sub.add_parser("install", help="have Scope download a LoRA from CivitAI/Hugging Face")
    install.add_argument("url")
    install.add_argument("--sha256", metavar="HEX", help="refuse the file unless it has this hash")
    install.add_argument("--filename", help="name to save it as (default: from the URL)")
    install.add_argument("--scope", metavar="URL", help="the server (default: [scope] url)")
    install.set_defaults(func=install_main)


def list_main(args: argparse.Namespace) -> int:
    from perform.config import load_config
    from perform.loras.server import format_inventory, from_config, from_show, take_stock
    from perform.stream.scope_api import ScopeAPI

    config = load_config(args.config)
    url = args.scope or config.scope.url
    wanted = from_config(config, args.config or "config")
    for show in args.show:
        wanted += from_show(Path(show))

    async def files() -> list:
        async with ScopeAPI(url) as api:
            await api.health(check=False)
            return await api.loras()

    inventory = take_stock(asyncio.run(files()), wanted)
    print(format_inventory(url, inventory))
    return 2 if inventory.missing else 0


def check_main(args: argparse.Namespace) -> int:
    from perform.config import load_config
    from perform.loras.safetensors import check_file as check_lora
    from perform.loras.safetensors import describe

    pipeline = args.pipeline or load_config(args.config).scope.pipeline
    print(
        f"checking against pipeline {pipeline}" + ("" if args.pipeline else " ([scope] pipeline)")
    )
    bad = 0
    for name in args.files:
        result = check_lora(Path(name), pipeline)
        bad += not result.ok
        print(describe(result))
    return 2 if bad else 0


def install_main(args: argparse.Namespace) -> int:
    from perform.config import load_config

    config = load_config(args.config)
    url = args.scope or config.scope.url
    return asyncio.run(_install(url, args.url, args.sha256, args.filename))


async def _install(url: str, source: str, sha256: str | None, filename: str | None) -> int:
    from perform.stream.scope_api import ScopeAPI

    async with ScopeAPI(url) as api:
        await api.health(check=False)
        how = f"checking sha256 {sha256[:12]}.." if sha256 else "no sha256 given"
        print(f"Scope at {url} fetches {source} ({how})", flush=True)

        async def fetch() -> tuple[str, str | None]:
            if sha256:
                body = {"source": "url", "url": source, "expected_sha256": sha256.lower()}
                answer = await api.download_lora(body, timeout=INSTALL_TIMEOUT)
                return str(answer.get("path")), answer.get("sha256")
            installed = await api.install_lora(source, filename, timeout=INSTALL_TIMEOUT)
            return installed.path, installed.sha256

        task = asyncio.ensure_future(fetch())
        started = time.monotonic()
        while not task.done():
            await asyncio.wait({task}, timeout=2.0)
            if not task.done():  # Scope reports no progress: say how long it has taken
                elapsed = time.monotonic() - started
                print(f"  downloading on the server... {elapsed:.0f} s", flush=True)
        try:
            path, digest = task.result()
        except PerformError as exc:
            print(f"perform: {exc.title}: {exc.message}", file=sys.stderr)
            return 2
        files = {f.path: f for f in await api.loras()}
    entry = files.get(path)
    digest = (entry.sha256 if entry else None) or digest
    size = f"{entry.size_mb:.1f} MB" if entry and entry.size_mb is not None else "size ?"
    print(f"installed {path} ({size}, sha256 {digest or 'unknown'})")
    if entry is None:
        print("warning: Scope's LoRA list does not show it yet", file=sys.stderr)
    return 0
