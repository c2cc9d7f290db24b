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
    # Post-call analysis (Responses API); not a model OpenAI is retiring (next-features.md section 4).
    analysis_model: str = "gpt-6.1-terra"
    analysis_timeout_seconds: float = Field(60.0, gt=0, le=600)
    # The semantic second opinion on caller lines (Responses API): off unless turned on. It can only
    # raise a local verdict, and the transcript answer waits for it at most `classifier_budget_ms`.
    classifier_enabled: bool = False
    classifier_model: str = "gpt-5.6-luna"
    classifier_budget_ms: int = Field(300, ge=0, le=5000)
    classifier_timeout_seconds: float = Field(5.0, gt=0, le=60)
    classifier_min_confidence: float = Field(0.6, ge=0, le=1)


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
    # Each live call's owner lease (renewed every third of it): a dead owner's call is swept after it.
    owner_lease_seconds: float = Field(15.0, gt=0, le=600)
    # How long an end sent to another worker's call waits for that owner to finalize it.
    owner_end_wait_seconds: float = Field(10.0, gt=0, le=120)
    # A call whose finalize fails for a reason other than an outage is retried with exponential
    # backoff; after `finalize_max_attempts` failures it is dead-lettered (status finalize_failed,
    # its raw live snapshot quarantined in PostgreSQL).
    finalize_max_attempts: int = Field(5, ge=1, le=100)
    finalize_retry_base_seconds: float = Field(30.0, gt=0)
    finalize_retry_max_seconds: float = Field(1800.0, gt=0)
    # Concurrency slots (issue 11): a lease in Redis per live call, renewed by its owner every third
    # of it; a dead worker's slot comes back after one lease. The platform cap counts every org.
    slot_lease_seconds: float = Field(90.0, gt=0, le=3600)
    platform_max_concurrent_calls: int | None = Field(None, ge=1)
    overflow_retry_after_seconds: int = Field(30, ge=1, le=3600)


class WebhookSettings(BaseSettings):
    """WEBHOOK_* variables: outbound webhooks and their dispatcher (issue 10)."""

    model_config = SettingsConfigDict(env_prefix="WEBHOOK_", env_file=".env", extra="ignore")

    # Loopback/private targets and plain http, for development and tests only; refused in production.
    allow_private_targets: bool = False
    dispatcher_enabled: bool = True
    timeout_seconds: float = Field(15.0, gt=0, le=60)
    # Svix: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; each delay gets +-jitter.
    retry_schedule_seconds: list[float] = Field(
        default_factory=lambda: [0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0], min_length=1
    )
    jitter: float = Field(0.1, ge=0, le=0.5)
    max_client_error_attempts: int = Field(3, ge=1)
    disable_after_failing_seconds: float = 5 * 24 * 3600.0
    secret_overlap_seconds: int = 24 * 3600
    poll_interval_seconds: float = Field(0.5, gt=0)
    batch_size: int = Field(100, ge=1, le=1000)
    concurrency: int = Field(64, ge=1, le=1000)
    # A claimed delivery whose worker died is retried after the lease (longer than one send).
    lease_seconds: float = Field(60.0, gt=0)
    # Encrypts signing secrets at rest (app/webhooks/crypto.py); required in production. Unset
    # elsewhere: a fixed development key (id `dev`). Rotate: new key + id, the old one in old_secret_keys.
    secret_key: SecretStr | None = None
    secret_key_id: str = Field("k1", pattern=r"^[A-Za-z0-9_-]{1,16}$")
    # Earlier keys that still decrypt: `key_id:key,key_id:key`.
    old_secret_keys: SecretStr | None = None


class EventSettings(BaseSettings):
    """EVENTS_* variables: the live event stream (SSE) per org and per call."""

    model_config = SettingsConfigDict(env_prefix="EVENTS_", env_file=".env", extra="ignore")

    # Signs the short-lived ?token= of browser streams; a random per-process key when unset.
    token_secret: SecretStr | None = None
    token_ttl_seconds: int = Field(300, ge=10, le=3600)
    heartbeat_seconds: float = Field(15.0, gt=0)
    call_stream_maxlen: int = Field(5000, ge=10)
    org_stream_maxlen: int = Field(20000, ge=10)
    subscriber_queue_size: int = Field(1000, ge=1)


class RetentionSettings(BaseSettings):
    """RETENTION_* variables: the daily job deleting caller data past each org's retention (issue 11)."""

    model_config = SettingsConfigDict(env_prefix="RETENTION_", env_file=".env", extra="ignore")

    enabled: bool = True
    interval_seconds: float = Field(24 * 3600.0, gt=0)
    # Rows per DELETE: small enough that no batch holds locks for long (bench_retention measures it).
    batch_size: int = Field(5000, ge=1, le=100_000)
    batch_pause_seconds: float = Field(0.01, ge=0, le=10)
    # Webhook deliveries (with their attempts) and fanned-out outbox events go after this many days
    # without change, sooner for an org whose transcript or intake retention is shorter (payloads
    # carry both): app/privacy/retention_webhooks.py.
    webhook_days: int = Field(30, ge=1, le=3650)


class MetricsSettings(BaseSettings):
    """METRICS_* variables: GET /metrics (issue 12). Several workers: set PROMETHEUS_MULTIPROC_DIR."""

    model_config = SettingsConfigDict(env_prefix="METRICS_", env_file=".env", extra="ignore")

    # Off: /metrics answers 404 and nothing is recorded.
    enabled: bool = True
    # Set: /metrics needs `Authorization: Bearer <token>`.
    bearer_token: SecretStr | None = None
    # Per-org labels on call and escalation counters: for small deployments only (one series per org).
    org_labels: bool = False


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
    # Every wait on PostgreSQL and Redis is bounded, so an outage answers 503 in seconds, not a hang.
    db_connect_timeout_seconds: float = Field(2.0, gt=0, le=60)
    # Client-side (asyncpg command_timeout, works on a blackholed link) and server-side statement_timeout.
    db_command_timeout_seconds: float = Field(3.0, gt=0, le=300)
    db_pool_timeout_seconds: float = Field(2.0, gt=0, le=60)
    redis_socket_timeout_seconds: float = Field(1.0, gt=0, le=30)
    redis_connect_timeout_seconds: float = Field(1.0, gt=0, le=30)

    openai: OpenAISettings = Field(default_factory=OpenAISettings)
    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    calls: CallSettings = Field(default_factory=CallSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    events: EventSettings = Field(default_factory=EventSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    # OpenTelemetry traces (issue 12): off unless the standard OTLP endpoint variable is set.
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str = "callintake"

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
        if self.webhooks.allow_private_targets:
            raise ValueError("WEBHOOK_ALLOW_PRIVATE_TARGETS is for development and tests, not production")
        key = self.webhooks.secret_key
        if key is None or key.get_secret_value().lower() in _PLACEHOLDERS or len(key.get_secret_value()) < 32:
            raise ValueError("WEBHOOK_SECRET_KEY must be set in production (at least 32 random characters)")
        if self.webhooks.secret_key_id == "dev":
            raise ValueError("WEBHOOK_SECRET_KEY_ID `dev` names the development key; pick another id")
        return self

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


@lru_cache
def get_settings() -> Settings:
    return Settings()
