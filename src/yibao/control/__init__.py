"""Who may do what: the local user store and the audit of every unmasking."""
