"""Real servers for the test suite and benchmarks: Dovecot (IMAP) and aiosmtpd (SMTP)."""
