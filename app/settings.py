"""Runtime configuration: one `Settings` with a nested group per vendor, read from the environment.

Well-known names are read as they are (`DATABASE_URL`, `REDIS_URL`, `OPENAI_API_KEY`,
`TWILIO_AUTH_TOKEN`, `PUBLIC_BASE_URL`). There is no import-time instance: call `get_settings()`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./callintake.db"
_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "test", "xxx", "placeholder"}


class OpenAISettings(BaseSettings):
    """OPENAI_* variables."""

    model_config = SettingsConfigDict(env_prefix="OPENAI_", env_file=".env", extra="ignore")

    api_key: SecretStr | None = None
    base_url: str = "https://api.openai.com/v1"
    realtime_model: str = "gpt-realtime-2.1"
    realtime_voice: str = "marin"
    transcription_model: str = "gpt-transcribe"
    client_secret_ttl_seconds: int = Field(600, ge=10, le=7200)
    connect_timeout_seconds: float = 3.0
    read_timeout_seconds: float = 10.0
    max_retries: int = Field(2, ge=0, le=5)
    retry_backoff_seconds: float = 0.2


class TwilioSettings(BaseSettings):
    """TWILIO_* variables."""

    model_config = SettingsConfigDict(env_prefix="TWILIO_", env_file=".env", extra="ignore")

    account_sid: str | None = None
    auth_token: SecretStr | None = None
    api_base_url: str = "https://api.twilio.com"
    transfer_timeout_seconds: int = 25
    stream_token_ttl_seconds: int = 120
    rest_timeout_seconds: float = 10.0
    # A Realtime session opened while answering the webhook waits this long for its media stream.
    prewarm_ttl_seconds: float = 30.0


class CallSettings(BaseSettings):
    """CALL_* variables: limits of the call lifecycle and the sweeper."""

    model_config = SettingsConfigDict(env_prefix="CALL_", env_file=".env", extra="ignore")

    idle_timeout_seconds: int = 300
    max_duration_seconds: int = 3600
    live_ttl_seconds: int = 7 * 24 * 3600
    sweep_interval_seconds: float = 15.0
    finalize_lock_seconds: float = 30.0
    sweeper_enabled: bool = True


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = DEFAULT_SQLITE_URL
    redis_url: str | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    platform_admin_key: SecretStr | None = None
    cors_allow_origins: list[str] = Field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    db_pool_size: int = 10

    openai: OpenAISettings = Field(default_factory=OpenAISettings)
    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    calls: CallSettings = Field(default_factory=CallSettings)

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment != "production":
            return self
        secrets = {
            "PLATFORM_ADMIN_KEY": self.platform_admin_key,
            "OPENAI_API_KEY": self.openai.api_key,
            "TWILIO_AUTH_TOKEN": self.twilio.auth_token,
        }
        for name, value in secrets.items():
            if value is not None and (
                value.get_secret_value().lower() in _PLACEHOLDERS or len(value.get_secret_value()) < 16
            ):
                raise ValueError(f"{name} looks like a placeholder; set a real secret in production")
        if self.database_url.startswith("sqlite"):
            raise ValueError("production needs DATABASE_URL pointing at PostgreSQL")
        return self

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


@lru_cache
def get_settings() -> Settings:
    return Settings()
