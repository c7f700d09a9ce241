"""``python -m tests.scope_double [--port 8000] [--preload passthrough]``: run the double."""

from __future__ import annotations

import argparse
import asyncio

from tests.scope_double import ScopeDouble


async def main() -> None:
    parser = argparse.ArgumentParser(description="Daydream Scope test double")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--preload", metavar="PIPELINE", help="start with this pipeline loaded")
    parser.add_argument("--size", type=int, default=512, help="preloaded height and width")
    args = parser.parse_args()
    double = ScopeDouble(host=args.host, port=args.port)
    url = await double.start()
    if args.preload:
        double.preload(args.preload, height=args.size, width=args.size)
    print(f"Scope test double on {url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await double.stop()


if __name__ == "__main__":
    asyncio.run(main())
