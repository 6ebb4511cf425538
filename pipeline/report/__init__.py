"""What the user reads: the digest of the latest dumps (and, later, figures and the page)."""
