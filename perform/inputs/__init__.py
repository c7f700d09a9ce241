"""Live inputs: MIDI (mido + python-rtmidi) and OSC (python-osc), on the session's loop."""
