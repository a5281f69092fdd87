"""Small-team features: claims, assignment, shared status and internal notes through IMAP."""
