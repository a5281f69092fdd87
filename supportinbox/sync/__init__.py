"""Keeping the local cache in step with the IMAP server."""
