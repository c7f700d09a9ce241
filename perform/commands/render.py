"""``perform render PRESET OUT``: look at a preset without the TUI.

``OUT`` ending in ``.png`` writes one still (the frame after ``--seconds``), or with
``--sheet N`` a contact sheet of N frames ``--every`` seconds apart (like the
prototype's reference sheets). ``.mp4`` (or ``.mkv``, ``.webm``...) writes a clip of
``--seconds`` at ``--fps``. Time is simulated (60 steps per second x the preset's
speed), so the result shows what a show would show, however long it takes to render.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from perform.errors import PerformError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render", help="render a preset to a PNG still, a contact sheet or a video clip"
    )
    parser.add_argument("preset", help="preset key (e.g. coral, medusa)")
    parser.add_argument("out", help="output file: .png for a still or sheet, .mp4 for a clip")
    parser.add_argument(
        "--seconds", type=float, default=4.0, help="clip length, or when the still is taken"
    )
    parser.add_argument(
        "--warmup",
        type=float,
        help="simulated seconds the organism grows before the first frame "
        "(default: the config's [engine] warmup, as in a show)",
    )
    parser.add_argument("--sheet", type=int, default=0, metavar="N", help="N frames side by side")
    parser.add_argument("--every", type=float, default=2.0, help="seconds between sheet frames")
    parser.add_argument("--world", type=int, help="world size in cells (default: config)")
    parser.add_argument("--size", help="output WIDTHxHEIGHT (default: the config's stream size)")
    parser.add_argument("--fps", type=float, default=30.0, help="frames per second of a clip")
    parser.add_argument("--seed", type=int, help="organism seed (default: config)")
    parser.add_argument("--backend", choices=("auto", "numpy", "cupy"), help="array backend")
    parser.set_defaults(func=main)


def _size(text: str | None, default: tuple[int, int]) -> tuple[int, int]:
    if not text:
        return default
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise PerformError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 832x480") from None
    if width < 16 or height < 16 or width % 2 or height % 4:
        raise PerformError(f"--size {text}: width must be even and height a multiple of 4")
    return width, height


def main(args: argparse.Namespace) -> int:
    from engines import PresetError, get_preset, select_backend
    from perform.config import load_config
    from perform.render import offline, still

    config = load_config(args.config)
    try:
        get_preset(args.preset)
    except PresetError as exc:
        raise PerformError(str(exc), title="Unknown preset") from None
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in still.VIDEO_SUFFIXES and suffix != ".png":
        raise PerformError(f"{out}: write a .png (still or sheet) or a video like .mp4")
    width, height = _size(args.size, (config.stream.width, config.stream.height))
    backend = select_backend(args.backend or config.engine.backend)
    world = args.world or config.engine.world
    seed = config.engine.seed if args.seed is None else args.seed
    warmup = config.engine.warmup if args.warmup is None else max(0.0, args.warmup)
    started = time.perf_counter()

    def frames(fps: float, seconds: float) -> Iterator[offline.Still]:
        return offline.frames(
            args.preset, backend, world=world, width=width, height=height, seed=seed,
            fps=fps, seconds=seconds, warmup=warmup,
        )  # fmt: skip

    if suffix == ".png":
        if args.sheet > 0:
            fps = 1.0 / max(args.every, 1e-3)
            still.write_png(out, still.sheet([f.rgb for f in frames(fps, args.sheet / fps)]))
        else:
            *_, last = frames(args.fps, max(args.seconds, 1 / args.fps))
            still.write_png(out, last.rgb)
    else:
        clip = (f.yuv for f in frames(args.fps, args.seconds))
        count = still.write_video(out, clip, width, height, args.fps)
        print(f"{count} frames", file=sys.stderr)
    print(
        f"wrote {out} ({args.preset}, world {world}, {width}x{height}, {backend.name}) "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0
