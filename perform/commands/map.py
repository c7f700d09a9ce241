"""``perform map NAME``: a controller's cheat sheet, page by page, with takeover and LEDs.

The mapping is loaded exactly as a run loads it (the user's file first, then ``[paths]``,
then the shipped one), so the sheet shows what the controller will really do.
"""

from __future__ import annotations

import argparse

from perform import library


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "map", help="which control of a controller does what (page by page, takeover, LEDs)"
    )
    parser.add_argument(
        "mapping", metavar="NAME", help="a mapping name (nanokontrol2, midimix...) or a file"
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from perform.config import load_config
    from perform.errors import MappingError
    from perform.mapping.cheatsheet import cheat_sheet
    from perform.mapping.check import validation_store
    from perform.mapping.load import load_mapping, merge

    config = load_config(args.config)
    found = library.find("mappings", args.mapping, config.paths.mappings)
    if not found.exists:
        raise MappingError(library.not_found("mappings", args.mapping, config.paths.mappings))
    store = validation_store(config)
    devices = merge([load_mapping(found.path, store, mappings_dir=config.paths.mappings)])
    print(f"{found.describe()}\n")
    for device in devices:
        print("\n".join(cheat_sheet(device)))
    return 0
