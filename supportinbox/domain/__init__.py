"""Pure domain logic: no IO, no Textual, no Rich."""
