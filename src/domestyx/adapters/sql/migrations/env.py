"""Alembic environment: the engine comes from the caller, never from a file."""

from __future__ import annotations

from alembic import context

from domestyx.adapters.sql.tables import metadata

connectable = context.config.attributes.get("connection")


def run() -> None:
    """Online migrations over the connection handed in by `domestyx.adapters.sql.migrate`."""
    if connectable is None:
        raise RuntimeError("run migrations through `domestyx migrate`")
    context.configure(
        connection=connectable,
        target_metadata=metadata,
        render_as_batch=connectable.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
