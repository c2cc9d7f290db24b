"""Settings: well-known names, vendor base URLs, and production refusing placeholders."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from app.settings import OpenAISettings, Settings, WebhookSettings

PG = "postgresql+asyncpg://u@db/callintake"


def test_production_refuses_placeholder_admin_key() -> None:
    with pytest.raises(ValidationError, match="PLATFORM_ADMIN_KEY looks like a placeholder"):
        Settings(environment="production", database_url=PG, platform_admin_key=SecretStr("changeme"))


def test_production_refuses_short_openai_key() -> None:
    with pytest.raises(ValidationError, match="OPENAI_API_KEY"):
        Settings(
            environment="production", database_url=PG, openai=OpenAISettings(api_key=SecretStr("sk-short"))
        )


def test_production_refuses_sqlite() -> None:
    with pytest.raises(ValidationError, match="PostgreSQL"):
        Settings(environment="production")


def test_production_accepts_real_secrets() -> None:
    settings = Settings(
        environment="production",
        database_url=PG,
        platform_admin_key=SecretStr("a" * 8 + "-real-admin-key-42"),
        webhooks=WebhookSettings(secret_key=SecretStr("b" * 8 + "-a-real-webhook-secret-key-of-32+")),
    )
    assert settings.uses_postgres


def test_well_known_environment_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/2")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-0123456789")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://fake:1/v1")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "tok-from-env")
    monkeypatch.setenv("TWILIO_API_BASE_URL", "http://fake-twilio:2")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://calls.example.com")
    settings = Settings()
    assert settings.database_url == PG and settings.redis_url == "redis://cache:6379/2"
    assert settings.openai.api_key is not None
    assert settings.openai.api_key.get_secret_value() == "sk-from-env-0123456789"
    assert settings.openai.base_url == "http://fake:1/v1"
    assert settings.twilio.api_base_url == "http://fake-twilio:2"
    assert settings.public_base_url == "https://calls.example.com"
    assert "sk-from-env" not in repr(settings)
