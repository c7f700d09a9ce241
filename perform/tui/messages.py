"""Messages from the show to the UI. High-rate ones coalesce (``can_replace``).

None of them bubble: the app forwards them to the active screen, and a bubbling
message would come straight back to the app.
"""

from __future__ import annotations

from textual.message import Message

from perform.events import Notice, ShowState
from perform.render.host import EngineStats


class ParamsChanged(Message, bubble=False):
    """Some parameters changed; the receiver drains the bridge's dirty set."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ParamsChanged)


class EngineStatsUpdated(Message, bubble=False):
    def __init__(self, stats: EngineStats) -> None:
        super().__init__()
        self.stats = stats

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EngineStatsUpdated)


class ShowStateUpdated(Message, bubble=False):
    def __init__(self, state: ShowState) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ShowStateUpdated)


class NoticePosted(Message, bubble=False):
    def __init__(self, notice: Notice) -> None:
        super().__init__()
        self.notice = notice
