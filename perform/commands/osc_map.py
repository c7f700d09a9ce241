"""``perform osc-map [--json]``: every OSC address with its type, range and default.

The same document a running show serves over HTTP (``GET /api/osc-map`` on the OSC
port; ``GET /`` for the OSCQuery tree). Addresses of mapping files (``--mapping``,
``[midi] mappings``) are listed too.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from perform.config import load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("osc-map", help="list every OSC address (type, range, default)")
    parser.add_argument("--json", action="store_true", help="machine-readable JSON")
    parser.add_argument(
        "--mapping",
        action="append",
        default=[],
        metavar="FILE",
        help="also list the OSC addresses of this mapping file (repeatable)",
    )
    parser.set_defaults(func=main)


def document(args: argparse.Namespace) -> dict[str, Any]:
    from perform.events import EventBus
    from perform.inputs.hub import ControlHub
    from perform.inputs.oscspace import AddressSpace
    from perform.mapping.check import validation_store

    config = load_config(args.config)
    store = validation_store(config)
    hub = ControlHub(store, EventBus(), config, args.mapping)
    rows = [entry.describe() for entry in AddressSpace(store).entries()]
    mapped = []
    for device in hub.devices:
        for binding in device.bindings:
            if binding.key[0] == "osc":
                mapped.append(
                    {
                        "address": binding.key[1],
                        "kind": "mapped",
                        "targets": [t.name for t in binding.targets],
                        "input": list(binding.input) if binding.input else [0.0, 1.0],
                        "file": str(binding.where),
                    }
                )
    return {
        "osc": {"host": config.osc.host, "port": config.osc.port, "transport": "UDP"},
        "addresses": rows,
        "mapped": mapped,
    }


def _range(row: dict[str, Any]) -> str:
    if "choices" in row:
        return " | ".join(row["choices"])
    if "min" in row:
        return f"{row['min']:g} .. {row['max']:g}{(' ' + row['unit']) if row.get('unit') else ''}"
    return ""


def main(args: argparse.Namespace) -> int:
    doc = document(args)
    if args.json:
        print(json.dumps(doc, indent=2, default=str))
        return 0
    osc = doc["osc"]
    print(f"OSC in: udp://{osc['host']}:{osc['port']} (native units: /vj/..., 0..1: /vj/norm/...)")
    rows = doc["addresses"]
    width = max(len(r["address"]) for r in rows)
    for row in rows:
        print(_line(row, width))
    if doc["mapped"]:
        print("\nMapped addresses (0..1 in unless noted):")
        for row in doc["mapped"]:
            lo, hi = row["input"]
            scale = "" if (lo, hi) == (0.0, 1.0) else f" (in {lo:g}..{hi:g})"
            print(f"{row['address']}  -> {', '.join(row['targets'])}{scale}  [{row['file']}]")
    return 0


def _line(row: dict[str, Any], width: int) -> str:
    default = row.get("default", "")
    if isinstance(default, float):
        shown = f"default {default:g}"
    else:
        shown = f"default {default!r}" if default != "" else ""
    access = {"rw": "", "w": "(action)", "r": "(state out)"}[row["access"]]
    kind = row["type"] or "-"
    text = (
        f"{row['address']:<{width}}  {kind:<2} {_range(row):<34} {shown:<22} {access} {row['doc']}"
    )
    return text.rstrip()
