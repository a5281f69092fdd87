"""The terminal UI (Textual): screens, widgets, and the service they call."""
