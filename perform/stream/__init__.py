"""Everything that talks to Daydream Scope: HTTP (scope_api), WebRTC (peer, track, output),
the data channel (channel, lora) and the component that runs it all (link).

Nothing here is imported on the headless path unless the link is enabled; aiortc stays out
of the engines and the TUI.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perform.build import RunOptions
    from perform.session import Component, Session
    from perform.stream.link import ScopeLink


def scope_link_factory(session: Session, options: RunOptions) -> Component | None:
    """The Scope link, unless the config or ``--no-scope`` turns it off."""
    if options.no_scope or (not session.config.scope.enabled and not options.scope):
        return None
    from perform.stream.link import ScopeLink

    requested = None
    if options.show is not None:
        from perform.show import pipeline_request

        # The show's pipeline from the start: Scope loads it once, not the config's first.
        requested = pipeline_request(options.show)
    return ScopeLink(session.config, url=options.scope, requested=requested)


def scope_link(session: Session) -> ScopeLink | None:
    """The session's Scope link (None without one), looked up by class like any component.

    A run without a link never imported :mod:`perform.stream.link` (so it cannot hold a
    ``ScopeLink``): the look-up leaves aiortc unimported there too.
    """
    link = sys.modules.get("perform.stream.link")
    return None if link is None else session.component(link.ScopeLink)
