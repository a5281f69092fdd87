"""supportinbox: a keyboard-driven terminal support inbox."""

__version__ = "0.1.0"
