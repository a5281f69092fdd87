"""Reusable widgets of the terminal UI (each carries its DEFAULT_CSS)."""
