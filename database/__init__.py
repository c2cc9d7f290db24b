"""Persistence: the declarative base, engine/session factory and one model module per table."""
