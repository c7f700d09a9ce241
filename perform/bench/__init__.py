"""``perform bench``: speed and memory figures, printed as a table and a JSON record.

Each suite is a module here with ``NAME``, ``HELP`` and ``run(options) -> list[Result]``.
Ratios between figures measured side by side in one run are what we quote; absolute
times depend on the machine and its load.
"""
