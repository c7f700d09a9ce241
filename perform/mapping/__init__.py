"""Controller mappings: mapping files -> bindings; control events -> store writes (pure).

``load_mapping`` reads and checks a file, ``Mapper`` resolves control events against
the loaded devices; inputs (``perform.inputs``) produce the events and feedback
(``perform.outputs``) reads the bindings back to light LEDs.
"""

from perform.mapping.binding import Binding, Target, Writes
from perform.mapping.controls import ControlEvent, ControlKey, describe, describe_key
from perform.mapping.device import ControlDef, DeviceMapping, LedRule
from perform.mapping.load import load_mapping, merge, resolve_path
from perform.mapping.mapper import Mapper

__all__ = [
    "Binding",
    "ControlDef",
    "ControlEvent",
    "ControlKey",
    "DeviceMapping",
    "LedRule",
    "Mapper",
    "Target",
    "Writes",
    "describe",
    "describe_key",
    "load_mapping",
    "merge",
    "resolve_path",
]
