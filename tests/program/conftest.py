"""Fixtures for the program tests: the Scope test double."""

from __future__ import annotations

from tests.scope_double.fixture import scope_double  # noqa: F401  (pytest fixture)
