"""The program: the audience's picture, and where it goes.

Not to be confused with :mod:`perform.outputs`, which is *feedback* to the performer's
own gear (controller LEDs, OSC state to TouchDesigner). Everything here carries the show's
picture: the bus that mixes the organism with Scope's returned video and applies fade,
blackout, panic and failover (:mod:`perform.program.bus`), and the sinks it feeds — the
stage window, Syphon, Spout, NDI, a virtual camera, the recorder — each a
:class:`~perform.program.sink.ProgramSink`.

``frame``      ProgramFrame (I420) and the named streams (program, organism)
``sink``       the ProgramSink contract, SinkStatus, UnavailableSink
``sinks``      sink kinds -> factories (``build_sink``), and whether each can run here
``compose``    I420 arithmetic: mix, fade, letterbox (PyAV's swscale), freeze signatures
``failover``   ScopeHealth: stall / freeze / drop -> organism; steady second -> Scope
``bus``        ProgramBus: the thread that composes the program and feeds the sinks
``feeder``     one thread and a latest-wins slot per sink (a slow sink never holds the bus)
``record``     ``--record``: the program into a file, at the bus's timestamps
``state``      ProgramState: what is on air, as the TUI, the status line and OSC show it
``component``  the session component ``program`` that builds and runs it all
"""
