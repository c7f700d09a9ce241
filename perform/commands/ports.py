"""``perform ports``: MIDI inputs and outputs (and what would open them), the OSC setup.

Nothing is opened: ports are listed, matched against the loaded mapping files and the
shipped profiles exactly as a run would match them, and the OSC port is tried.
"""

from __future__ import annotations

import argparse
import socket
from pathlib import Path
from typing import Any

from perform import library
from perform.config import AppConfig, load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ports", help="list MIDI ports (and which profile opens each), the MIDI backend, OSC"
    )
    parser.add_argument(
        "--mapping",
        action="append",
        default=[],
        metavar="FILE",
        help="match ports against this mapping file too (repeatable)",
    )
    parser.set_defaults(func=main)


def _osc_state(config: AppConfig) -> str:
    if not config.osc.enabled:
        return "off ([osc] enabled = false)"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((config.osc.host, config.osc.port))
        except OSError as exc:
            return f"port {config.osc.port} NOT free on {config.osc.host} ({exc.strerror})"
    return "free"


def _file(path: Path, config: AppConfig) -> str:
    """The file and whose it is: the user's, the [paths] folder's, or shipped."""
    found = library.find("mappings", path.stem, config.paths.mappings)
    if found.exists and found.path.resolve() == path.resolve():
        return f"{path}, {found.whose}"
    return str(path)


def report(config: AppConfig, mappings: list[str]) -> list[str]:
    from perform.events import EventBus
    from perform.inputs import ports
    from perform.inputs.hub import ControlHub
    from perform.mapping.check import validation_store

    hub = ControlHub(validation_store(config), EventBus(), config, mappings)
    key = ports.backend_key(config.midi.backend)
    lines = [f'MIDI backend: {key} ([midi] backend = "{config.midi.backend}")']
    scanner = ports.PortScanner(key)
    try:
        with ports.quiet_stderr():
            inputs, outputs = scanner.list()
    except Exception as exc:
        lines.append(f"  unavailable: {ports.backend_hint(key, exc)}")
        inputs, outputs = [], []
    finally:
        scanner.close()
    patterns = hub.midi_patterns()
    owners: dict[str, Any] = {p: d for p, d in patterns}
    in_claims = ports.assign(inputs, [p for p, _ in patterns])
    out_patterns = {p: (d.output_match if d else None) for p, d in patterns}
    out_claims = ports.assign(outputs, [o for o in out_patterns.values() if o])

    def who(pattern: str) -> str:
        device = owners.get(pattern)
        if device is None:
            return f"monitor '{pattern}' ([midi] inputs)"
        origin = "profile" if device.auto else "mapping"
        return f"{device.name} ({origin} {_file(device.files[0], config)})"

    for title, names, claims in (
        ("inputs", inputs, in_claims),
        ("outputs", outputs, {v: k for k, v in out_claims.items()}),
    ):
        lines.append(f"MIDI {title}:" + ("" if names else " none"))
        claimed = {port: pattern for pattern, port in claims.items()} if title == "inputs" else {}
        for name in names:
            if title == "inputs":
                pattern = claimed.get(name)
                mark = f"  -> {who(pattern)}" if pattern else ""
            else:
                out_pattern = claims.get(name)
                owner = next((p for p, o in out_patterns.items() if o == out_pattern), None)
                mark = f"  -> LEDs of {who(owner)}" if owner else ""
            lines.append(f"  {name}{mark}")
    for device in hub.devices:
        files = ", ".join(_file(f, config) for f in device.files)
        lines.append(f"mapping {device.name}: {files}")
        if device.kind == "midi" and device.match not in in_claims:
            lines.append(
                f"  no MIDI input matches '{device.match}' yet: plug it in (or check its name "
                "above); a run waits for it and says when it connects"
            )
    shown = [d for d in hub.devices if d.kind == "midi"]
    shown += [owners[p] for p in in_claims if owners.get(p) is not None and owners[p] not in shown]
    for device in shown:
        for hint in device.setup:
            lines.append(f"setup for {device.name}: {hint}")
    osc = config.osc
    lines.append(f"OSC in: udp://{osc.host}:{osc.port} ({_osc_state(config)})")
    if osc.enabled and osc.http:
        lines.append(f"OSC address space: http://{osc.host}:{osc.port}/ (JSON, OSCQuery style)")
    if osc.host not in ("127.0.0.1", "localhost", "::1"):
        allowed = ", ".join(osc.allow) or "nobody but this machine"
        lines.append(
            f"  senders allowed: {allowed} (on Windows, allow UDP {osc.port} in the firewall)"
        )
    targets = ", ".join(osc.targets) or "none ([osc] targets or --osc-out HOST:PORT)"
    lines.append(f"OSC feedback out: {targets}")
    return lines


def main(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    print("\n".join(report(config, args.mapping)))
    return 0
