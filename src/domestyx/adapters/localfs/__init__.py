"""Documents in a local directory, served through app-signed links (embedded default only)."""
