"""CLI commands: one module each, with ``register(subparsers)`` setting ``func``.

``perform/cli.py`` imports these lazily-light modules only; anything heavy (the TUI,
aiortc) is imported inside the command's function, so ``perform run --headless``
never imports textual.
"""

from perform.commands import (
    bench,
    check,
    init,
    loras,
    map,
    osc_map,
    outputs,
    ports,
    render,
    run,
    scope,
    tui,
)

COMMANDS = (tui, run, init, map, bench, render, scope, loras, ports, outputs, check, osc_map)
