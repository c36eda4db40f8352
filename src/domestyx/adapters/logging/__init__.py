"""Log-only adapters for the embedded default: errors and heartbeats go to the log."""
