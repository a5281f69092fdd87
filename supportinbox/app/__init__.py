"""The use cases, each in one module shared by the command line and the app (see docs/architecture.md)."""
