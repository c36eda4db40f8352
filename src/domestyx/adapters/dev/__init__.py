"""Dev adapters for the embedded default; production refuses to start with any of them."""
