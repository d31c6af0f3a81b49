from datetime import timedelta

from pipeline.settings import Group, Settings
from pipeline.stack import settings_for


def _variables() -> dict[str, str]:
    """Each setting's variable name, as its group and field spell it, against the one its description names."""
    named = {}
    for name, field in Settings.model_fields.items():
        if isinstance(field.default, Group):
            for member, inner in type(field.default).model_fields.items():
                named[f"VEILLE_{name}_{member}".upper()] = inner.description
        else:
            named[f"VEILLE_{name}".upper()] = field.description
    return named


def test_settings_every_description_names_the_variable_it_is_read_from():
    for variable, description in _variables().items():
        assert description.startswith(variable) and description[len(variable):][:1] in ("", ":", "."), variable


def test_settings_groups_read_their_variables(monkeypatch):
    monkeypatch.setenv("VEILLE_CRISIS_AUTO_RESOLVE_MINUTES", "7")
    monkeypatch.setenv("VEILLE_KAFKA_BROKERS", "a:1, b:2")
    monkeypatch.setenv("VEILLE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("VEILLE_WEB_PORT", "1")
    monkeypatch.setenv("VEILLE_WEBHOOK_PORT", "2")
    monkeypatch.setenv("VEILLE_WORKER_WEB_PORT", "3")
    monkeypatch.setenv("VEILLE_INDEX_PREFIX", "tenant")
    monkeypatch.setenv("VEILLE_INDEX_BATCH_SIZE", "4")
    monkeypatch.setenv("VEILLE_X_CONSUMER_SECRET", "x-secret")
    settings = Settings(_env_file=None)
    assert settings.crisis.auto_resolve_after == timedelta(minutes=7)
    assert settings.kafka.bootstrap == ["a:1", "b:2"] and settings.kafka.security_protocol == "SASL_SSL"
    assert (settings.web.port, settings.webhook.port, settings.worker.web_port) == (1, 2, 3)
    assert settings.index_prefix == "tenant" and settings.mentions_index == "tenant-mentions"
    assert settings.index.batch_size == 4
    assert settings.x.consumer_secret.get_secret_value() == "x-secret"


def test_settings_env_file_fills_groups_and_the_environment_wins(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("VEILLE_TREND_MIN_COUNT=9\nVEILLE_TREND_MIN_SCORE=4.5\nVEILLE_DATA_DIR=/srv/veille\n")
    monkeypatch.setenv("VEILLE_TREND_MIN_SCORE", "6")
    settings = Settings(_env_file=env_file)
    assert (settings.trend.min_count, settings.trend.min_score) == (9, 6.0)
    assert str(settings.data_dir) == "/srv/veille"


def test_settings_keywords_named_like_variables_go_to_their_group(monkeypatch):
    monkeypatch.setenv("VEILLE_CRISIS_MIN_VOLUME", "3")
    settings = Settings(_env_file=None, crisis_threshold=5, crisis={"window_minutes": 30}, connector_min_interval=0.0)
    assert (settings.crisis.threshold, settings.crisis.window_minutes, settings.crisis.min_volume) == (5.0, 30, 3)
    assert settings.connector.min_interval == 0.0


def test_settings_for_reads_variables_into_groups(tmp_path):
    settings = settings_for({"VEILLE_DATA_DIR": str(tmp_path), "VEILLE_STACK_KAFKA_PORT": "19999",
                             "VEILLE_ELASTICSEARCH_URL": "http://127.0.0.1:19998"})
    assert settings.data_dir == tmp_path and settings.stack.kafka_port == 19999
    assert settings.elasticsearch.url == "http://127.0.0.1:19998"


def test_settings_crisis_to_config_is_the_agent_detector():
    config = Settings(_env_file=None, crisis_threshold=14, crisis_critical_threshold=12,
                      crisis_interval_seconds=600).crisis.to_config(6)
    assert config.spike.threshold == 14 and config.critical_threshold == 14  # critical never below the warning
    assert config.interval == timedelta(minutes=10) and config.source_partitions == 6


def test_settings_trend_to_config_warms_up_within_the_baseline():
    config = Settings(_env_file=None, trend_baseline_windows=3, trend_warmup_windows=10, trend_min_count=2).trend.to_config()
    assert (config.baseline_windows, config.warmup_windows, config.burst.min_count) == (3, 3, 2)
