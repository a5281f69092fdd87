"""The bundled demo mailbox: content, message builder, loader and offline service."""
