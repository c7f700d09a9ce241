"""Messages from the show to the UI.

The bridge keeps the latest state of everything; a :class:`Changed` message only says
*what kind* of state moved, and a newer one replaces an older one of the same kind that
is still queued (``can_replace``). A 1000 msg/s fader sweep therefore costs the UI one
refresh per frame, whatever the input rate.

None of them bubble: the app forwards them to the active screen, and a bubbling message
would come straight back to the app.
"""

from __future__ import annotations

from typing import Literal

from textual.message import Message

from perform.events import Notice

Kind = Literal[
    "params", "stats", "show", "tempo", "monitor", "devices", "scope", "specs", "program"
]


class Changed(Message, bubble=False):
    """Some show state of ``kind`` changed; read it from the app's bridge."""

    def __init__(self, kind: Kind) -> None:
        super().__init__()
        self.kind = kind

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Changed) and message.kind == self.kind


class NoticePosted(Message, bubble=False):
    def __init__(self, notice: Notice) -> None:
        super().__init__()
        self.notice = notice
