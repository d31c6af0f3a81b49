"""pipeline/sources/registry.py is the one list of sources: Platform, the normalisers, `veille normalize
--source`, the watches.yaml source types and options, the connectors and the webhook providers follow it."""

from __future__ import annotations

import typing
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from pipeline.cli import app, load_commands
from pipeline.mention import Platform
from pipeline.sources import registry
from pipeline.sources.options import SourceOptions
from pipeline.sources.runtime import LiveConnector
from pipeline.watches import SourceType, Watches, WatchesError

SOURCES_DIR = Path(registry.__file__).parent

load_commands()


def test_sources_registry_platform_is_the_registered_platforms():
    assert [p.value for p in Platform] == list(registry.PLATFORMS)
    for source in registry.SOURCES:
        if source.normalizer:
            assert source.platforms, f"{source.name} normalises but names no platform"


def test_sources_registry_every_folder_is_registered_and_every_part_exists():
    folders = {p.name for p in SOURCES_DIR.iterdir() if (p / "__init__.py").exists()}
    assert folders == {s.name for s in registry.SOURCES}
    for source in registry.SOURCES:
        parts = {"normalize.py": source.normalizer, "connector.py": source.connector,
                 "options.py": source.options, "webhook.py": source.webhook}
        for module, attribute in parts.items():
            if attribute is None:
                continue
            assert (SOURCES_DIR / source.name / module).is_file(), f"{source.name}/{module}"
    assert set(registry.normalizers()) == {s.name for s in registry.SOURCES if s.normalizer}
    assert "x" in registry.normalizers()


def test_sources_registry_each_source_type_has_its_connector_and_options():
    connectors = registry.connector_types()
    models = {typing.get_args(m.model_fields["type"].annotation)[0]: m for m in registry.options_models()}
    assert list(connectors) == list(models) == list(registry.SOURCE_TYPES) == list(typing.get_args(SourceType))
    for name, connector in connectors.items():
        assert issubclass(connector, LiveConnector) and connector.type == name
        assert issubclass(models[name], SourceOptions)


def test_sources_registry_webhook_providers_normalise_with_their_source():
    providers = registry.webhook_providers()
    for source in registry.SOURCES:
        if source.webhook:
            provider = next(p for p in providers.values() if p.normalizer is registry.normalizers()[source.name])
            assert provider.name in providers
    assert providers["generic"].normalizer is None  # the source's own `normalizer` option decides
    assert set(providers) == {"meta", "x", "generic"}


def test_sources_registry_normalize_command_offers_exactly_the_registered_normalisers(tmp_path):
    from pipeline.commands.normalize import Source

    assert [s.value for s in Source] == list(registry.normalizers())
    refused = CliRunner().invoke(app, ["normalize", "--source", "threads", "-"], env={"COLUMNS": "300"})
    assert refused.exit_code == 2
    offered = refused.output.split("is not one of", 1)[1].split(".", 1)[0]
    assert [name.strip(" '\n│") for name in offered.split(",")] == list(registry.normalizers())
    event = {"for_user_id": "42", "tweet_create_events": [
        {"id_str": "7", "text": "Lumio est en panne", "created_at": "Wed Nov 04 10:00:00 +0000 2026",
         "user": {"id_str": "1", "screen_name": "ana"}}]}
    path = tmp_path / "x.json"
    path.write_bytes(orjson.dumps(event))
    result = CliRunner().invoke(app, ["normalize", "--source", "x", str(path)])
    assert result.exit_code == 0
    assert [orjson.loads(line)["id"] for line in result.stdout.splitlines()] == ["twitter:7"]


@pytest.mark.parametrize("name", registry.SOURCE_TYPES)
def test_sources_registry_watches_refuse_an_option_of_another_type(name):
    foreign = "feeds: [x]" if name != "rss" else "subreddits: [x]"
    with pytest.raises(WatchesError, match="feeds|subreddits"):
        Watches.from_yaml(f"sources: [{{name: s, type: {name}, {foreign}}}]\nwatches: []")
