"""Dramatiq adapter: the TaskQueue port over a broker (Redis in production)."""
