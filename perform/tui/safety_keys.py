"""Keys that work on every screen: panic, blackout, freeze (and GO where free).

The app binds them; a modal screen (help, a confirm) hides the app's non-priority
bindings in Textual, so modal screens add :data:`LETTER_KEYS` to their own. The function
keys are priority bindings: they win even over a text field (the prompt editor), where
the letters must type.
"""

from __future__ import annotations

from textual.binding import Binding

LETTER_KEYS: list[Binding] = [
    Binding("p", "app.safety('panic')", "Panic", show=False),
    Binding("space", "app.safety('cue.go')", "GO", show=False),
]
FUNCTION_KEYS: list[Binding] = [
    Binding("f5", "app.safety('panic')", "Panic (any screen)", priority=True, show=False),
    Binding("f6", "app.safety('blackout')", "Blackout (any screen)", priority=True, show=False),
    Binding("f7", "app.safety('freeze')", "Freeze (any screen)", priority=True, show=False),
]
SAFETY_KEYS: list[Binding] = [*LETTER_KEYS, *FUNCTION_KEYS]
