"""The floor: the least an app on Mailwright's stack can do per request, served the same way.

FastAPI + SQLAlchemy (sync handlers in uvicorn's thread pool, as Mailwright's), on the same
database with the same engine settings (SQLite: WAL, synchronous=FULL, BEGIN IMMEDIATE to
write and DEFERRED to read;
PostgreSQL: psycopg, a pool of 10 + 10), served by uvicorn through mailwright.api.server's
configuration (its h11 protocol, no access log). Per request:

- POST /order:  one INSERT of the body + commit (the intake floor);
- POST /bulk:   one INSERT per domain of the body, one commit (the bulk floor);
- GET  /items?n=N: one SELECT of N rows, answered through a Pydantic model (the read floor);
- GET  /ping:   no database (how fast the load generator can go: its ceiling).

Run: python -m bench.floor --database-url URL --port PORT"""

from __future__ import annotations

import argparse
import json
import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import Body, FastAPI
from pydantic import BaseModel
from sqlalchemy import event

SEED_ITEMS = 1000
SQLITE_BUSY_TIMEOUT_MS = 30_000

metadata = sa.MetaData()
orders = sa.Table(
    "floor_orders",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
)
items = sa.Table(
    "floor_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
)


class Item(BaseModel):
    id: int
    name: str
    status: str


def engine_for(url: str) -> sa.Engine:
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, pool_timeout=10)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        for pragma in ("journal_mode=WAL", f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}", "foreign_keys=ON", "synchronous=FULL"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('sqlite_begin', 'IMMEDIATE')}")

    return engine


def create_app(engine: sa.Engine) -> FastAPI:
    metadata.create_all(engine)
    with engine.begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(items)).scalar_one() == 0:
            conn.execute(items.insert(), [{"id": i, "name": f"domain{i}.com", "status": "ready"} for i in range(SEED_ITEMS)])
    reader = engine.execution_options(sqlite_begin="DEFERRED") if engine.url.get_backend_name() == "sqlite" else engine
    app = FastAPI()

    @app.get("/ready")
    def ready() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/ping")
    def ping() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/order", status_code=202)
    def order(body: dict[str, Any] = Body(...)) -> dict[str, str]:
        order_id = str(uuid.uuid4())
        with engine.begin() as conn:
            conn.execute(orders.insert().values(id=order_id, body=json.dumps(body)))
        return {"order_id": order_id, "status": "processing"}

    @app.post("/bulk", status_code=202)
    def bulk(body: dict[str, Any] = Body(...)) -> dict[str, Any]:
        rows = [{"id": str(uuid.uuid4()), "body": json.dumps({"domain": d})} for d in body["domains"]]
        with engine.begin() as conn:
            conn.execute(orders.insert(), rows)
        return {"order_id": rows[0]["id"], "domains": len(rows)}

    @app.get("/items", response_model=list[Item])
    def list_items(n: int = 1) -> list[dict[str, Any]]:
        with reader.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.select(items).order_by(items.c.id).limit(n))]

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    from mailwright.api import server
    from mailwright.config import Settings

    app = create_app(engine_for(args.database_url))
    server.run(server.ServerConfig(app, Settings(), host="127.0.0.1", port=args.port, timeout_graceful_shutdown=5))


if __name__ == "__main__":
    main()
