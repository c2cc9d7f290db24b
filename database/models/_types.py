"""Column helpers shared by the models."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")
