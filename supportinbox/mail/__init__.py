"""Mail IO: credentials, IMAP and SMTP connections, message parsing. No UI code."""
