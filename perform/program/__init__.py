"""The program: the audience's picture, and where it goes.

Not to be confused with :mod:`perform.outputs`, which is *feedback* to the performer's
own gear (controller LEDs, OSC state to TouchDesigner). Everything here carries the show's
picture: the bus that mixes the organism with Scope's returned video and applies fade,
blackout, panic and failover (:mod:`perform.program.bus`), and the sinks it feeds — the
stage window, Syphon, Spout, NDI, a virtual camera, the recorder — each a
:class:`~perform.program.sink.ProgramSink`.
"""
