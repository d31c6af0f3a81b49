"""``alerting.yaml``: the delivery channels, which of them hear of which alert, and how hard to retry.

See ``alerting.example.yaml`` at the repository root for a commented example. The file holds no secret:
a channel names the environment variables its webhook URL, HMAC secret or SMTP password are read from
(``url_env``, ``secret_env``, ``password_env``), and :func:`resolve_channels` reads them from the
mapping it is given (the caller passes ``os.environ``), so secrets never appear in the file or the logs.

Routing: ``routes.default`` maps each severity to a list of channel names; ``routes.watches.<watch>``
overrides that list for the severities it names (a watch that names ``critical`` only keeps the
default lists for ``warning`` and ``info``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from pipeline.alerts.model import Alert, Severity
from pipeline.yaml_files import one_line, read_yaml


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlackChannelConfig(_Strict):
    type: Literal["slack"]
    url_env: str
    timeout: float = Field(10.0, gt=0)


class WebhookChannelConfig(_Strict):
    type: Literal["webhook"]
    url_env: str
    secret_env: str
    timeout: float = Field(10.0, gt=0)


class EmailChannelConfig(_Strict):
    type: Literal["email"]
    host: str
    port: int = Field(587, gt=0, lt=65536)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    ca_file: Path | None = Field(None, description="CA bundle to trust for the server's certificate (private CA)")
    sender: str
    to: list[str] = Field(min_length=1)
    timeout: float = Field(10.0, gt=0)


class KafkaChannelConfig(_Strict):
    type: Literal["kafka"]
    topic: str = "alerts"


ChannelConfig = Annotated[
    SlackChannelConfig | WebhookChannelConfig | EmailChannelConfig | KafkaChannelConfig, Field(discriminator="type")
]
SeverityRoutes = dict[Severity, list[str]]


class RetryConfig(_Strict):
    attempts: int = Field(5, ge=1, description="tries per delivery, the first one included")
    initial_backoff: float = Field(1.0, ge=0, description="seconds before the second try; doubles each time")
    max_backoff: float = Field(60.0, ge=0)
    max_retry_after: float = Field(300.0, ge=0, description="a longer Retry-After is not waited for: the delivery goes to the outbox")


class Routes(_Strict):
    default: SeverityRoutes = Field(default_factory=dict)
    watches: dict[str, SeverityRoutes] = Field(default_factory=dict)


class AlertingConfig(_Strict):
    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    routes: Routes = Field(default_factory=Routes)
    retry: RetryConfig = Field(default_factory=RetryConfig)

    @model_validator(mode="after")
    def _routes_name_known_channels(self) -> AlertingConfig:
        tables = [("default", self.routes.default)] + [(f"watches.{w}", t) for w, t in self.routes.watches.items()]
        for where, table in tables:
            for severity, names in table.items():
                unknown = [name for name in names if name not in self.channels]
                if unknown:
                    raise ValueError(f"routes.{where}.{severity.value} names unknown channel(s): {', '.join(unknown)}")
        return self


class AlertingConfigError(ValueError):
    """``alerting.yaml`` cannot be read, or a secret it names is missing from the environment."""


def load_alerting_config(path: Path) -> AlertingConfig:
    return parse_alerting_config(read_yaml(path, AlertingConfigError) or {}, source=str(path))


def parse_alerting_config(data: object, source: str = "alerting config") -> AlertingConfig:
    try:
        return AlertingConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p)[:60] for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()[:5])
        raise AlertingConfigError(one_line(f"{source}: {problems}")) from None
    except RecursionError:
        raise AlertingConfigError(one_line(f"{source}: nested too deeply")) from None


def channels_for(config: AlertingConfig, watch: str, severity: Severity) -> list[str]:
    """The channel names an alert of ``watch`` at ``severity`` goes to, in the order written."""
    override = config.routes.watches.get(watch, {})
    if severity in override:
        return list(override[severity])
    return list(config.routes.default.get(severity, []))


def route(config: AlertingConfig, alert: Alert) -> list[str]:
    return channels_for(config, alert.watch, alert.severity)


class ResolvedChannel(BaseModel):
    """A channel's settings with its secrets read from the environment (hidden in ``repr`` and logs)."""

    model_config = ConfigDict(frozen=True)

    name: str
    config: ChannelConfig
    url: SecretStr | None = None
    secret: SecretStr | None = None
    password: SecretStr | None = None


def secret_variables(config: AlertingConfig) -> dict[str, list[str]]:
    """Environment variable names each channel needs, by channel."""
    needed: dict[str, list[str]] = {}
    for name, channel in config.channels.items():
        names = [getattr(channel, attribute, None) for attribute in ("url_env", "secret_env", "password_env")]
        needed[name] = [variable for variable in names if variable]
    return needed


def missing_secrets(config: AlertingConfig, environ: Mapping[str, str]) -> dict[str, list[str]]:
    missing = {name: [v for v in variables if not environ.get(v)] for name, variables in secret_variables(config).items()}
    return {name: variables for name, variables in missing.items() if variables}


def resolve_channels(config: AlertingConfig, environ: Mapping[str, str]) -> dict[str, ResolvedChannel]:
    """Read each channel's secrets from ``environ``; a missing one is an error that names the variable only."""
    missing = missing_secrets(config, environ)
    if missing:
        described = "; ".join(f"channel {name} needs {', '.join(variables)}" for name, variables in missing.items())
        raise AlertingConfigError(f"missing environment variable(s): {described}")

    def secret(variable: str | None) -> SecretStr | None:
        return SecretStr(environ[variable]) if variable else None

    return {
        name: ResolvedChannel(
            name=name,
            config=channel,
            url=secret(getattr(channel, "url_env", None)),
            secret=secret(getattr(channel, "secret_env", None)),
            password=secret(getattr(channel, "password_env", None)),
        )
        for name, channel in config.channels.items()
    }
