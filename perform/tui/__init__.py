"""The Textual UI: the only package that imports textual.

Deleting this package leaves a working headless performer (``perform run --headless``).
"""
