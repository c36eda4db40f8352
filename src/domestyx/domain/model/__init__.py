"""The pure model: entities, values, errors and policies (stdlib + attrs only)."""
