"""``perform scope status``: what the Scope server runs, before a show or when it misbehaves."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("scope", help="ask the Scope server what it runs")
    sub = parser.add_subparsers(dest="scope_command", metavar="ACTION", required=True)
    status = sub.add_parser(
        "status", help="server version, loaded pipeline, LoRAs and their merge modes"
    )
    status.add_argument("--scope", metavar="URL", help="the server (default: [scope] url)")
    status.add_argument("--json", action="store_true", help="print one JSON object instead")
    status.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import asyncio

    from perform.config import load_config

    config = load_config(args.config)
    url = args.scope or config.scope.url
    report = asyncio.run(gather(url))
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


async def gather(url: str) -> dict[str, Any]:
    from perform.registry import lora_param_name
    from perform.stream.scope_api import ScopeAPI

    async with ScopeAPI(url) as api:
        health = await api.health(check=False)
        status = await api.status()
        schemas = await api.schemas()
        files = await api.loras()
        ice = await api.ice_servers()
    return {
        "url": url,
        "version": health.version,
        "git_commit": health.git_commit,
        "uptime_s": round(time.time() - health.server_start_time)
        if health.server_start_time
        else None,
        "http_rtt_ms": round(health.rtt_ms, 1),
        "status": status.status,
        "loading_stage": status.loading_stage,
        "pipeline": status.pipeline_id,
        "load_params": {k: v for k, v in status.load_params.items() if k != "loras"},
        "loras": [
            {
                "name": a.stem,
                "path": a.path,
                "scale": a.scale,
                "merge_mode": a.merge_mode,
                "param": lora_param_name(a.stem),
                "live": a.live,
            }
            for a in status.adapters
        ],
        "lora_files": [f.name if not f.folder else f"{f.folder}/{f.name}" for f in files],
        "pipelines": sorted(schemas),
        "ice_servers": [u for s in ice for u in _urls(s)],
    }


def _urls(server: dict[str, Any]) -> list[str]:
    urls = server.get("urls") or []
    return [urls] if isinstance(urls, str) else list(urls)


def format_report(r: dict[str, Any]) -> str:
    from perform.stream.scope_api import MIN_VERSION, parse_version

    version = r["version"]
    parsed = parse_version(version)
    if parsed is not None and parsed < MIN_VERSION:
        version += f"  (too old: perform needs {'.'.join(map(str, MIN_VERSION))}+)"
    lines = [f"Scope at {r['url']}"]
    lines.append(f"  version      {version} (git {r['git_commit'] or '?'})")
    if r["uptime_s"] is not None:
        hours, rest = divmod(int(r["uptime_s"]), 3600)
        lines.append(f"  up           {hours} h {rest // 60:02d} min")
    lines.append(f"  round trip   {r['http_rtt_ms']:.0f} ms (HTTP)")
    state = r["status"]
    if state == "loading" and r["loading_stage"]:
        state += f": {r['loading_stage']}"
    if state == "error":
        state += "  (the last load failed; Scope's log has the reason)"
    lines.append(f"  pipeline     {r['pipeline'] or '-'}  [{state}]")
    if r["load_params"]:
        params = ", ".join(f"{k}={v}" for k, v in sorted(r["load_params"].items()))
        lines.append(f"  load params  {params}")
    if r["loras"]:
        lines.append("  LoRAs loaded")
        for lora in r["loras"]:
            ride = (
                f"rides live as {lora['param']}"
                if lora["live"]
                else "scale fixed until the next load"
            )
            lines.append(
                f"    {lora['name']:<20} scale {lora['scale']:<6g} {lora['merge_mode']:<16} {ride}"
            )
    else:
        lines.append("  LoRAs loaded none")
    lines.append(f"  LoRA files   {', '.join(r['lora_files']) or 'none'}")
    lines.append(f"  pipelines    {', '.join(r['pipelines']) or 'none'}")
    lines.append(f"  ICE servers  {', '.join(r['ice_servers']) or 'none'}")
    return "\n".join(lines)
