"""perform: a live-performance instrument for VJs."""

__version__ = "0.1.0"
