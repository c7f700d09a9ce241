"""The live-input tests use the ``jack`` and ``controllers`` fixtures of tests/conftest.py."""
