"""The Dramatiq worker: broker, actors, failure reporting and the runner."""
