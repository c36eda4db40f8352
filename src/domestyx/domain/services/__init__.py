"""Use cases: attrs classes whose fields are ports."""
