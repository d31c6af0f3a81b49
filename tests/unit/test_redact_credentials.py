"""Credentials inside a URL (``http://user:pass@host``) never reach a visitor, a terminal or a log line."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from pipeline.redact import mask_credentials
from pipeline.settings import Settings
from pipeline.stack import free_port

PASSWORD = "s3cr3t-Pa55"


@pytest.mark.parametrize(("text", "masked"), [
    ("http://elastic:s3cr3t@es.internal:9200", "http://***@es.internal:9200"),
    ("cannot reach https://u:p%40ss@host/x and HTTPS://k@h2", "cannot reach https://***@host/x and HTTPS://***@h2"),
    ("http://es.internal:9200/_search?q=a@b", "http://es.internal:9200/_search?q=a@b"),
    ("no url here: a@b.c", "no url here: a@b.c"),
    ("Connection error caused by: ConnectionError(http://a:b@[::1]:9200)", "Connection error caused by: ConnectionError(http://***@[::1]:9200)"),
])
def test_redact_mask_credentials(text, masked):
    assert mask_credentials(text) == masked


def _dead_es_url() -> str:
    return f"http://elastic:{PASSWORD}@127.0.0.1:{free_port()}"


def test_redact_web_502_page_and_json_hide_the_password(tmp_path):
    from pipeline.web.app import create_app

    settings = Settings(elasticsearch_url=_dead_es_url(), data_dir=tmp_path, web_port=8765)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as client:
        api = client.get("/api/overview")
        page = client.get("/")
    assert api.status_code == 502 and page.status_code == 502
    assert PASSWORD not in api.text and PASSWORD not in page.text
    assert "127.0.0.1" in api.json()["detail"]  # still says where it tried


def test_redact_search_command_error_hides_the_password(monkeypatch):
    import pipeline.settings
    from pipeline.cli import app

    settings = Settings(elasticsearch_url=_dead_es_url())
    monkeypatch.setattr(pipeline.settings, "get_settings", lambda: settings)
    monkeypatch.setattr("pipeline.commands.search.get_settings", lambda: settings)
    result = CliRunner().invoke(app, ["search", "retard"])
    assert result.exit_code == 1
    assert "cannot reach Elasticsearch" in result.output and PASSWORD not in result.output


def test_redact_log_lines_are_masked_whoever_writes_them():
    import io
    import logging

    from pipeline.redact import MaskCredentialsFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskCredentialsFilter())
    logger = logging.getLogger("pipeline.test_redact")
    logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        logger.warning("GET %s failed", f"http://elastic:{PASSWORD}@es:9200/_search")
        try:
            raise ConnectionError(f"cannot connect to http://elastic:{PASSWORD}@es:9200")
        except ConnectionError:
            logger.exception("retrying")
    finally:
        logger.removeHandler(handler)
    assert "http://***@es:9200/_search" in stream.getvalue()
    assert PASSWORD not in stream.getvalue() and "Traceback" in stream.getvalue()


def test_redact_uncaught_traceback_is_masked(capsys):
    from pipeline.redact import masked_excepthook

    try:
        raise RuntimeError(f"POST http://elastic:{PASSWORD}@es:9200/_bulk failed")
    except RuntimeError as exc:
        masked_excepthook(type(exc), exc, exc.__traceback__)
    error = capsys.readouterr().err
    assert "Traceback" in error and "http://***@es:9200/_bulk" in error and PASSWORD not in error


def test_redact_credentials_kibana_import_error_hides_the_password(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app, load_commands

    load_commands()
    result = CliRunner().invoke(app, ["dashboards", "import", "--kibana", "http://elastic:s3cret-pw@127.0.0.1:9"])
    assert result.exit_code == 1
    assert "s3cret-pw" not in result.output and "***@127.0.0.1:9" in result.output
