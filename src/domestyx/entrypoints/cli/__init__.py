"""The `domestyx` command line."""
