"""Upload parsing with Pillow and pypdf."""
