"""What the app holds for its lifetime: settings, the database, the live store and vendor clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.calls.live_store import LiveStore
from app.settings import Settings


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    live_store: LiveStore
    # Vendor clients and background tasks registered by the domains that own them.
    extras: dict[str, Any] = field(default_factory=dict)
