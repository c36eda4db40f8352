"""The peer: fastapi-users' `GET /users/me` on the same MariaDB database, as its docs set it up.

FastAPI + fastapi-users with its SQLAlchemy adapter on the async MySQL driver (aiomysql), a
bearer JWT strategy, and the users table `peer_users` in the benchmark's scratch database.
Served by uvicorn with the same options as `domestyx serve` (uvloop, httptools, no access log).
It runs in its own venv (`.venv-peer`, from bench/peer-requirements.txt; `make bench` makes it):
`.venv-peer/bin/python -m bench.peer serve --port N` and `... seed --count N --out FILE`, both
reading PEER_DATABASE_URL (mysql://user@host:port/db) and PEER_SECRET. It imports nothing of
domestyx.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import Depends, FastAPI
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, schemas
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.jwt import generate_jwt
from fastapi_users.password import PasswordHelper
from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from sqlalchemy import Engine, create_engine, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

AUDIENCE = ["fastapi-users:auth"]  # JWTStrategy's default


class Base(DeclarativeBase):
    """The peer's own metadata."""


class User(SQLAlchemyBaseUserTableUUID, Base):
    """fastapi-users' stock users table."""

    __tablename__ = "peer_users"


class UserRead(schemas.BaseUser[uuid.UUID]):
    """What GET /users/me answers."""


class UserUpdate(schemas.BaseUserUpdate):
    """PATCH /users/me (mounted, not benchmarked)."""


def peer_app(database_url: str, secret: str) -> FastAPI:
    """The app exactly as fastapi-users' SQLAlchemy + JWT example builds it."""
    engine = create_async_engine(database_url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def get_session() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    async def get_user_db(
        session: AsyncSession = Depends(get_session),  # noqa: B008 - FastAPI's idiom
    ) -> AsyncIterator[Any]:
        yield SQLAlchemyUserDatabase(session, User)

    class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
        reset_password_token_secret = secret
        verification_token_secret = secret

    async def get_user_manager(
        user_db: Any = Depends(get_user_db),  # noqa: B008 - FastAPI's idiom
    ) -> AsyncIterator[UserManager]:
        yield UserManager(user_db)

    def get_strategy() -> JWTStrategy[User, uuid.UUID]:
        return JWTStrategy(secret=secret, lifetime_seconds=3600)

    backend = AuthenticationBackend(
        name="jwt", transport=BearerTransport(tokenUrl="auth/jwt/login"), get_strategy=get_strategy
    )
    users = FastAPIUsers[User, uuid.UUID](get_user_manager, [backend])
    app = FastAPI()
    app.include_router(users.get_auth_router(backend), prefix="/auth/jwt")
    app.include_router(users.get_users_router(UserRead, UserUpdate), prefix="/users")

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _url(driver: str) -> str:
    return f"mysql+{driver}://" + os.environ["PEER_DATABASE_URL"].split("://", 1)[1]


def seed(engine: Engine, secret: str, n: int) -> list[str]:
    """Create the table and `n` active users; one access token each (as the login route signs)."""
    Base.metadata.create_all(engine)
    hashed = PasswordHelper().hash("correct horse battery staple")
    ids = [uuid.uuid4() for _ in range(n)]
    with engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {"id": i, "email": f"peer-{i.hex}@example.com", "hashed_password": hashed,
                 "is_active": True, "is_superuser": False, "is_verified": True}
                for i in ids
            ],
        )  # fmt: skip
    return [generate_jwt({"sub": str(i), "aud": AUDIENCE}, secret, 3600) for i in ids]


def main(argv: list[str] | None = None) -> int:
    """`serve --port N` on loopback, or `seed --count N --out FILE` (the tokens, as JSON)."""
    parser = argparse.ArgumentParser(prog="python -m bench.peer")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve").add_argument("--port", type=int, required=True)
    seeding = sub.add_parser("seed")
    seeding.add_argument("--count", type=int, default=200)
    seeding.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    secret = os.environ["PEER_SECRET"]
    if args.command == "seed":
        engine = create_engine(_url("pymysql"))
        args.out.write_text(json.dumps(seed(engine, secret, args.count)))
        engine.dispose()
        return 0
    app = peer_app(_url("aiomysql"), secret)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None, access_log=False,
                server_header=False, proxy_headers=False, http="httptools")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
