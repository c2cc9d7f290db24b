"""Entry point. `uvicorn main:app` serves the app; `python main.py` also migrates and seeds first."""

from __future__ import annotations

import asyncio
import sys

import uvicorn

from app.factory import create_app
from app.settings import get_settings
from app.telephony.ws_server import RelayWebSocketProtocol

app = create_app()


def _prepare_database() -> None:
    from database.engine import create_engine
    from database.migrate import upgrade
    from database.seed import apply_seed

    settings = get_settings()
    upgrade(settings.database_url)

    async def seed() -> None:
        engine = create_engine(settings.database_url, pool_size=1)
        try:
            await apply_seed(engine)
        finally:
            await engine.dispose()

    asyncio.run(seed())


def run() -> None:
    settings = get_settings()
    _prepare_database()
    database = (
        "PostgreSQL" if settings.uses_postgres else f"SQLite ({settings.database_url.split(':///')[-1]})"
    )
    live = "Redis" if settings.redis_url else "in-process memory"
    print(f"callintake listening on http://{settings.host}:{settings.port}  (docs: /docs)", file=sys.stderr)
    print(f"  database: {database}; live call state: {live}", file=sys.stderr)
    if settings.platform_admin_key is None:
        print("  admin API disabled: set PLATFORM_ADMIN_KEY to create orgs and keys", file=sys.stderr)
    # RelayWebSocketProtocol: uvicorn's sans-I/O WebSockets with the phone relay's synchronous lane.
    # No access log: our own http_request lines name routes. log_config=None: our logging config
    # (app/logging.py) owns uvicorn's loggers, and uvicorn's dictConfig would replace it.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        log_config=None,
        ws=RelayWebSocketProtocol,
    )


if __name__ == "__main__":
    run()
