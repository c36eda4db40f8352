"""The floor: a bare Litestar app making a given number of Redis and SQL round trips per request.

`POST|GET /floor/{redis}/{sql}` runs in Litestar's thread pool like the service's handlers, sends
`redis` EVALSHA calls of a one-line script to the benchmark's Redis database and `sql` primary-key
SELECTs on `accounts` in one transaction (one pool checkout, then COMMIT) on the same MariaDB
database, with the service's own engine and Redis client settings, and answers a small JSON
document. Served by uvicorn with the same options as `domestyx serve` (uvloop, httptools, no
access log). Nothing else: no middleware, no auth, no logging. `python -m bench.floor --port N`
reads DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import uvicorn
from litestar import Litestar, Request, get, route
from sqlalchemy import text

from domestyx.adapters.redis.client import connect
from domestyx.adapters.sql.engine import create_database_engine

_SCRIPT = "return redis.call('INCR', KEYS[1])"
_SELECT = text("SELECT id, status FROM accounts WHERE id = :id")


def floor_app(database_url: str, redis_url: str) -> Litestar:
    """The app; the engine and the Redis client are built like the service's own."""
    engine = create_database_engine(database_url)
    client = connect(redis_url)
    script = client.register_script(_SCRIPT)

    @route("/floor/{redis_calls:int}/{sql_calls:int}", http_method=["GET", "POST"],
           sync_to_thread=True)  # fmt: skip
    def floor(request: Request[Any, Any, Any], redis_calls: int, sql_calls: int) -> dict[str, Any]:
        found = 0
        for _ in range(redis_calls):
            script(keys=["dx:floor"])
        if sql_calls:
            with engine.begin() as conn:
                for _ in range(sql_calls):
                    found += len(conn.execute(_SELECT, {"id": "floor"}).all())
        return {"ok": True, "redis": redis_calls, "sql": sql_calls, "rows": found}

    @get("/health/live", sync_to_thread=False)
    def live() -> dict[str, str]:
        return {"status": "ok"}

    # The same 16-thread handler pool as `domestyx serve` (WEB_THREADS' default).
    pool = ThreadPoolExecutor(16, thread_name_prefix="web")
    return Litestar(
        [floor, live],
        on_startup=[lambda: asyncio.get_running_loop().set_default_executor(pool)],
        logging_config=None,
        debug=False,
    )


def main(argv: list[str] | None = None) -> int:
    """Serve the floor on loopback."""
    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    app = floor_app(os.environ["DATABASE_URL"], os.environ["REDIS_URL"])
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None, access_log=False,
                server_header=False, proxy_headers=False, http="httptools")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
