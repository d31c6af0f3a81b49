"""Hostile files fed to every CLI that reads one, without Kafka or Elasticsearch.

Each command must exit 0, 1 or 2, print no Python traceback, and say on one line what was wrong (and,
for a series or a batch, where). The known faults come first as plain tests.
"""

from __future__ import annotations

import math
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipeline.cli import app, load_commands
from pipeline.mention import CATEGORIES, Mention
from pipeline.settings import get_settings
from pipeline.sources.registry import normalizers
from pipeline.tagging.feedback import read_feedback
from pipeline.topics import TopicsFileError, TopicSpec, load_topics

NORMALIZERS = normalizers()

load_commands()


def invoke(args: list[str], input: bytes | None = None):
    return CliRunner().invoke(app, args, input=input)


def assert_refused_in_one_line(result, *expected: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, errors
    for text in expected:
        assert text in errors[0], errors[0]


def spikes_file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "series.csv"
    path.write_bytes(content)
    return path


def test_fuzz_cli_spikes_refuses_a_non_utf8_file_naming_the_line(tmp_path):
    path = spikes_file(tmp_path, b"timestamp,value\n2026-01-01 00:00:00,3\n2026-01-01 00:05:00,\xff3\n")
    assert_refused_in_one_line(invoke(["spikes", "--input", str(path)]), str(path), "line 3", "UTF-8")


def test_fuzz_cli_spikes_refuses_year_one_naming_the_line(tmp_path):
    path = spikes_file(tmp_path, b"timestamp,value\n0001-01-01 00:00:00,3\n")
    assert_refused_in_one_line(invoke(["spikes", "--input", str(path)]), str(path), "line 2", "0001-01-01")


def test_fuzz_cli_spikes_refuses_infinity_naming_the_line(tmp_path):
    path = spikes_file(tmp_path, b"timestamp,value\n2026-01-01 00:00:00,3\n2026-01-01 00:05:00,inf\n")
    assert_refused_in_one_line(invoke(["spikes", "--input", str(path)]), str(path), "line 3", "'inf'")


# --- fuzzing ---------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = Path(__file__).parent / "fixtures" / "payloads"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 40))

# Bounded so the module runs in well under a minute on a loaded 2-core machine; no deadline because a loaded
# machine makes per-example timings meaningless; derandomized so a failure is the same on every run.
bounded = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.function_scoped_fixture])

HOSTILE_YAML = [
    "[" * 3000, "{a: " * 3000, "- " * 3000 + "x",
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
    "a: &x [*x]", "a: *nowhere", "a: !!python/object/apply:os.system ['true']", "a: !!binary '=='",
    "a: 0000-01-01", "a: " + "9" * 5000, "a: 1e999", "--- a\n--- b", "%YAML 9.9\n---\na", "? [a, b]\n: c",
    "\ta: b", "a: b\na: c", "'unclosed", "a: |\n  b\n c", "\x00", "\ufeffa: b", "a: \U0001f600" * 50,
]
HOSTILE_FIELDS = [
    "", " ", "inf", "-inf", "nan", "NaN", "-1", "-0", "1e309", "1e308", "9" * 5000, "0x10", "1_000", "３",
    "0001-01-01 00:00:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59", "9999-12-31T23:59:59-14:00",
    "2026-13-01", "2026-02-30T00:00:00", "2026-01-01T00:00:00+25:00", "2026-01-01T00:00:00Z", "2026-W01",
    "\x00", '"', '"a,b"', "a\nb", "\udcff", "\u202e", "x" * 200_000, "null", "{}", "[]", "true",
]
MUTATIONS = ("truncate", "flip", "insert", "delete", "bom", "crlf", "cr", "encoding", "huge line", "nul", "field",
             "duplicate line", "swap lines")


@st.composite
def mutated(draw, valid: bytes, separators: bytes = b",:\n") -> bytes:
    """``valid`` damaged one to three times, the way files get damaged (and the way attackers damage them)."""
    data = valid
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(MUTATIONS))
        at = draw(st.integers(0, len(data)))
        if kind == "truncate":
            data = data[:at]
        elif kind == "flip" and at < len(data):
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
        elif kind == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 64)):]
        elif kind == "bom":
            data = b"\xef\xbb\xbf" + data
        elif kind == "crlf":
            data = data.replace(b"\n", b"\r\n")
        elif kind == "cr":
            data = data.replace(b"\n", b"\r")
        elif kind == "encoding":
            encoding = draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252", "shift_jis", "utf-7"]))
            data = data.decode("utf-8", "replace").encode(encoding, "replace")
        elif kind == "huge line":
            data = data[:at] + b"x" * 300_000 + data[at:]
        elif kind == "nul":
            data = data[:at] + b"\x00" + data[at:]
        elif kind == "field":  # a hostile value where a separator ends a token
            cut = next((i for i in range(at, len(data)) if data[i] in separators), len(data))
            hostile = draw(st.sampled_from(HOSTILE_FIELDS)).encode("utf-8", "surrogateescape")
            data = data[:at] + hostile + data[cut:]
        elif kind in ("duplicate line", "swap lines"):
            lines = data.split(b"\n")
            if len(lines) > 2:
                i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
                if kind == "duplicate line":
                    lines.insert(i, lines[j])
                else:
                    lines[i], lines[j] = lines[j], lines[i]
                data = b"\n".join(lines)
    return data


@st.composite
def hostile_yaml(draw, valid: bytes) -> bytes:
    """A valid YAML file damaged, or with one of the classic hostile documents spliced in at a line start."""
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return draw(mutated(valid))
    if choice == 1:
        return draw(st.binary(max_size=400))
    hostile = draw(st.sampled_from(HOSTILE_YAML)).encode("utf-8", "surrogateescape")
    if choice == 2:
        return hostile
    lines = valid.split(b"\n")
    at = draw(st.integers(0, len(lines)))
    return b"\n".join([*lines[:at], hostile, *lines[at:]])


def damaged_yaml_file(path: Path, valid: bytes, data) -> Path:
    """``path`` written with ``valid`` damaged by ``hostile_yaml`` (drawn from hypothesis ``data``)."""
    path.write_bytes(data.draw(hostile_yaml(valid)))
    return path


def assert_no_crash(result) -> None:
    """Exit 0, 1 or 2, no traceback, and an exit other than 0 explained on stderr."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output[-2000:])
    assert "Traceback" not in result.output
    if result.exit_code:
        assert result.stderr.strip(), "an exit status without a word on stderr"


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.split("\n") if line.strip()]  # str.splitlines would cut at \x85 too


def is_usage_error(result) -> bool:
    """Click's own refusal of an option (several lines: usage, then the error naming the option)."""
    return result.exit_code == 2 and ("Invalid value" in result.stderr or "No such option" in result.stderr)


def assert_one_line_error(result, *names: str) -> None:
    """The command refused the input in exactly one line that names the file."""
    errors = error_lines(result)
    assert len(errors) == 1, errors[:5]
    assert len(errors[0]) < 1000, errors[0][:300]
    for name in names:
        assert name in errors[0], errors[0][:300]


# --- veille spikes -----------------------------------------------------------------------------------------

VALID_SERIES = b"timestamp,value\n" + b"".join(
    f"2026-03-02 {hour:02d}:{minute:02d}:00,{(hour * 7 + minute) % 50}\n".encode()
    for hour in range(3) for minute in range(0, 60, 5)
)


def check_spikes(tmp_path: Path, content: bytes, *options: str) -> None:
    path = spikes_file(tmp_path, content)
    result = invoke(["spikes", "--input", str(path), *options])
    assert_no_crash(result)
    if is_usage_error(result):
        return
    if result.exit_code:
        assert result.exit_code == 2
        assert_one_line_error(result, f"veille spikes: {path}: ")
        assert re.search(r": line \d+: ", error_lines(result)[0]), error_lines(result)[0][:300]
    else:
        rows = result.stdout.splitlines()
        assert rows[0] == "timestamp,value,score,alert"
        for row in rows[1:]:  # every score a finite number, every alert 0 or 1
            score, alert = row.rsplit(",", 2)[1:]
            assert math.isfinite(float(score)) and alert in ("0", "1"), row


@bounded
@given(content=st.binary(max_size=600))
def test_fuzz_cli_spikes_random_bytes(tmp_path, content):
    check_spikes(tmp_path, content)


@bounded
@given(content=mutated(VALID_SERIES))
def test_fuzz_cli_spikes_damaged_series(tmp_path, content):
    check_spikes(tmp_path, content)


@bounded
@given(option=st.sampled_from(["--threshold", "--peak-ratio", "--quantile", "--relative-spread", "--min-volume",
                               "--window-minutes", "--cooldown-hours"]),
       value=st.sampled_from(["0", "-1", "nan", "inf", "-inf", "1e308", "1e-308", "abc", ""]))
def test_fuzz_cli_spikes_options(tmp_path, option, value):
    check_spikes(tmp_path, VALID_SERIES, option, value)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "line 1: missing column(s) timestamp, value"),
    (b"timestamp,value\n2026-01-01 00:05:00,3\n2026-01-01 00:00:00,3\n", "line 3: timestamp '2026-01-01 00:00:00' is not after"),
    (b"timestamp,value\n2026-01-01 00:00:00,3\n2026-01-01T00:00:00+00:00,3\n", "line 3: timestamp"),
    (b"timestamp,value\n2026-01-01 00:00:00,nan\n", "line 2: value 'nan' is not a non-negative count"),
    (b"timestamp,value\n2026-01-01 00:00:00,1e13\n", "line 2: value '1e13' is not a non-negative count"),
    (b"timestamp,value\n2026-01-01 00:00:00," + b"9" * 300 + b"\n", "characters)"),
    (b"timestamp,value\n" + b"x" * 200_000 + b",3\n", "line 2: not readable as CSV"),
    (b"timestamp,value\n9999-12-31 23:59:59-01:00,3\n", "line 2: timestamp '9999-12-31 23:59:59-01:00' is out of range"),
])
def test_fuzz_cli_spikes_refusals_name_the_line(tmp_path, content, message):
    path = spikes_file(tmp_path, content)
    result = invoke(["spikes", "--input", str(path)])
    assert_refused_in_one_line(result, str(path), message)


def test_fuzz_cli_spikes_accepts_a_bom_crlf_and_time_zones(tmp_path):
    content = b"\xef\xbb\xbftimestamp,value\r\n2026-01-01T01:00:00+01:00,3\r\n2026-01-01T00:05:00Z,4\r\n"
    result = invoke(["spikes", "--input", str(spikes_file(tmp_path, content))])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == ["2026-01-01T01:00:00+01:00,3,0.0000,0", "2026-01-01T00:05:00Z,4,0.0000,0"]


# --- veille normalize --------------------------------------------------------------------------------------

NORMALIZE_FIXTURES = sorted(
    (path.parent.name, path.read_bytes()) for path in PAYLOADS.glob("*/*")
    if path.is_file() and path.parent.name in NORMALIZERS and path.suffix != ".md"
)


def check_normalize(tmp_path: Path, source: str, content: bytes, *options: str) -> None:
    path = tmp_path / "payload"
    path.write_bytes(content)
    result = invoke(["normalize", "--source", source, *options, str(path)])
    assert_no_crash(result)
    assert result.exit_code == 0, result.output[-500:]
    for line in result.stdout.split("\n")[:-1]:
        Mention.model_validate(orjson.loads(line))
    for line in error_lines(result):  # every reject says why
        reject = orjson.loads(line)
        assert reject["source"] == source and reject["reason"], line[:300]


@bounded
@given(source=st.sampled_from(sorted(NORMALIZERS)), content=st.binary(max_size=600))
def test_fuzz_cli_normalize_random_bytes(tmp_path, source, content):
    check_normalize(tmp_path, source, content)


@bounded
@given(data=st.data())
def test_fuzz_cli_normalize_damaged_recordings(tmp_path, data):
    source, valid = data.draw(st.sampled_from(NORMALIZE_FIXTURES))
    check_normalize(tmp_path, source, data.draw(mutated(valid, separators=b',:"<>\n')))


@bounded
@given(source=st.sampled_from(sorted(NORMALIZERS)), origin=st.text(max_size=40))
def test_fuzz_cli_normalize_origin(tmp_path, source, origin):
    valid = next((content for name, content in NORMALIZE_FIXTURES if name == source), b"{}")
    check_normalize(tmp_path, source, valid, "--origin", origin)


def test_fuzz_cli_normalize_unreadable_file_is_one_line(tmp_path):
    result = invoke(["normalize", "--source", "rss", str(tmp_path)])  # a folder
    assert result.exit_code == 2
    assert_one_line_error(result, f"cannot read {tmp_path}")


# --- veille replay (Kafka replaced by a list) ---------------------------------------------------------------

SAMPLE_MENTIONS = b"".join((ROOT / "data" / "sample" / "mentions.jsonl").read_bytes().splitlines(keepends=True)[:20])


class ListSink:
    sent: list[bytes] = []

    def __init__(self, settings):
        ListSink.sent = []

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return None

    async def send(self, topic, value, key=None):
        assert isinstance(value, bytes) and (key is None or isinstance(key, bytes))
        ListSink.sent.append(value)

    async def flush(self):
        pass


@pytest.fixture
def kafka_as_a_list(monkeypatch):
    import pipeline.commands.replay as replay_command

    monkeypatch.setattr(replay_command, "KafkaRecordSink", ListSink)


def check_replay(tmp_path: Path, content: bytes, *options: str) -> None:
    path = tmp_path / "mentions.jsonl"
    path.write_bytes(content)
    result = invoke(["replay", str(path), *options])
    assert_no_crash(result)
    if is_usage_error(result):
        return
    assert result.exit_code == 0, result.output[-500:]
    expected = [line for line in content.split(b"\n") if line.strip()]  # JSON lines: a line ends at \n
    assert len(ListSink.sent) == len(expected)  # every line sent, the malformed ones for the agent to dead-letter
    assert f"sent {len(expected)} records" in result.stdout


@bounded
@given(content=st.binary(max_size=600), rebase=st.booleans())
def test_fuzz_cli_replay_random_bytes(tmp_path, kafka_as_a_list, content, rebase):
    check_replay(tmp_path, content, *(["--rebase"] if rebase else []))


@bounded
@given(content=mutated(SAMPLE_MENTIONS, separators=b',:"\n'), rebase=st.booleans())
def test_fuzz_cli_replay_damaged_mentions(tmp_path, kafka_as_a_list, content, rebase):
    check_replay(tmp_path, content, *(["--rebase"] if rebase else []))


def test_fuzz_cli_replay_rebase_past_the_calendar_sends_the_line_unchanged(tmp_path, kafka_as_a_list):
    oldest = b'{"id": "a:1", "created_at": "0001-01-01T00:00:00Z"}'
    newest = b'{"id": "a:2", "created_at": "9999-12-31T23:59:59Z"}'
    check_replay(tmp_path, oldest + b"\n" + newest + b"\n", "--rebase")
    assert ListSink.sent[0] == oldest  # moving it back ~8,000 years would leave the calendar
    assert orjson.loads(ListSink.sent[1])["created_at"].startswith(str(datetime.now(UTC).year))


@pytest.mark.parametrize("option", [("--limit", "-1"), ("--rate", "-5")])
def test_fuzz_cli_replay_refuses_negative_options(tmp_path, kafka_as_a_list, option):
    path = tmp_path / "mentions.jsonl"
    path.write_bytes(SAMPLE_MENTIONS)
    result = invoke(["replay", str(path), *option])
    assert result.exit_code == 2 and option[0] in result.stderr
    assert ListSink.sent == [] or result.exit_code == 2


# --- veille tag (stdin) -------------------------------------------------------------------------------------

TAG_LINES = b"".join((ROOT / "data" / "sample" / "mentions.jsonl").read_bytes().splitlines(keepends=True)[:8])


def check_tag(content: bytes) -> None:
    result = invoke(["tag", "--batch-size", "4"], input=content)
    assert_no_crash(result)
    assert result.exit_code == 0, result.output[-500:]
    for line in result.stdout.split("\n")[:-1]:
        tagged = orjson.loads(line)
        assert "lang" in tagged or tagged["error"], line[:300]
    for line in error_lines(result):  # the tagger may warn once that it fell back to the rules
        assert re.match(r"veille tag: line \d+: .", line) or "using the rule tagger" in line, line[:300]


@bounded
@given(content=st.binary(max_size=600))
def test_fuzz_cli_tag_random_bytes(content):
    check_tag(content)


@bounded
@given(content=mutated(TAG_LINES, separators=b',:"\n'))
def test_fuzz_cli_tag_damaged_utf8_lines(content):
    check_tag(content.decode("utf-8", "replace").encode())


def test_fuzz_cli_tag_a_line_that_is_not_utf8_fails_alone():
    result = invoke(["tag"], input=b'{"id": "a:1", "text": "caf\xe9"}\n{"id": "a:2", "text": "merci"}\n')
    assert_no_crash(result)
    first, second = (orjson.loads(line) for line in result.stdout.split("\n")[:2])
    assert first["id"] == "a:1" and "line 1" in first["error"]
    assert second["id"] == "a:2" and "lang" in second


# --- veille feedback ----------------------------------------------------------------------------------------

@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VEILLE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


@bounded
@given(text=st.text(max_size=80), add=st.lists(st.sampled_from([*CATEGORIES, "nope", ""]), max_size=3),
       sentiment=st.sampled_from([None, "negative", "positive", "angry", ""]), lang=st.sampled_from([None, "fr", "", "\udcff"]),
       mention_id=st.sampled_from([None, "rss:1", "", "\udcff", "x" * 5000]))
def test_fuzz_cli_feedback_arguments(data_dir, text, add, sentiment, lang, mention_id):
    args = ["feedback", "--text", text, *[part for category in add for part in ("--add", category)]]
    args += [*(["--sentiment", sentiment] if sentiment is not None else []), *(["--lang", lang] if lang is not None else []),
             *(["--id", mention_id] if mention_id is not None else [])]
    result = invoke(args)
    assert_no_crash(result)
    if result.exit_code:
        assert result.exit_code == 2 and "Invalid value" in result.stderr, result.output[-500:]
    else:
        assert "recorded in" in result.stdout
        last = (data_dir / "feedback" / "feedback.jsonl").read_bytes().split(b"\n")[-2]
        assert orjson.loads(last)["text"] == text


@pytest.mark.parametrize("separator", ["\u2028", "\x85"])
def test_fuzz_cli_feedback_text_with_a_unicode_line_separator_reads_back(data_dir, separator):
    result = invoke(["feedback", "--text", f"colis{separator}perdu", "--add", CATEGORIES[0], "--lang", "fr"])
    assert result.exit_code == 0, result.output
    assert [record.text for record in read_feedback(data_dir / "feedback" / "feedback.jsonl")] == [f"colis{separator}perdu"]


def test_fuzz_cli_feedback_data_dir_that_is_a_file_is_one_line(tmp_path, monkeypatch):
    (tmp_path / "data").write_text("not a folder")
    monkeypatch.setenv("VEILLE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        result = invoke(["feedback", "--text", "la livraison est en retard", "--add", CATEGORIES[0], "--lang", "fr"])
    finally:
        get_settings.cache_clear()
    assert_no_crash(result)
    assert result.exit_code in (1, 2)
    assert_one_line_error(result, str(tmp_path / "data"))


# --- veille dashboards check --------------------------------------------------------------------------------

DASHBOARD_FILES = {path.name: path.read_bytes() for path in sorted((ROOT / "dashboards").glob("*.ndjson"))}


@bounded
@given(data=st.data())
def test_fuzz_cli_dashboards_check_damaged_file(tmp_path, data):
    name = data.draw(st.sampled_from(sorted(DASHBOARD_FILES)))
    for other, content in DASHBOARD_FILES.items():
        (tmp_path / other).write_bytes(content)
    damaged = data.draw(st.one_of(mutated(DASHBOARD_FILES[name], separators=b',:"{}[]\n'), st.binary(max_size=400),
                                  st.sampled_from(HOSTILE_YAML).map(lambda text: text.encode("utf-8", "surrogateescape"))))
    (tmp_path / name).write_bytes(damaged)
    result = invoke(["dashboards", "check", "--dir", str(tmp_path)])
    assert_no_crash(result)
    assert result.exit_code in (0, 1)
    for line in error_lines(result):
        assert line.startswith(("error: ", "problem: ")), line[:300]
        assert len(line) < 2000, line[:300]
    if result.exit_code and error_lines(result)[0].startswith("error: "):
        assert_one_line_error(result, name)


# --- watches.yaml, through veille connect (the connectors replaced by nothing) --------------------------------

WATCHES = (ROOT / "watches.yaml").read_bytes()


@pytest.fixture
def watches_file(tmp_path, monkeypatch):
    import pipeline.commands.connect as connect_command

    async def connect_nothing(settings, watches, names, types, once):
        return {}

    path = tmp_path / "watches.yaml"
    monkeypatch.setattr(connect_command, "connect", connect_nothing)
    monkeypatch.setenv("VEILLE_WATCHES_FILE", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@bounded
@given(data=st.data())
def test_fuzz_cli_connect_damaged_watches_file(watches_file, data):
    damaged_yaml_file(watches_file, WATCHES, data)
    result = invoke(["connect", "--once"])
    assert_no_crash(result)
    assert result.exit_code in (0, 2)
    if result.exit_code:
        assert_one_line_error(result, f"error: {watches_file}")


# --- alerting.yaml, through veille alerts check --------------------------------------------------------------

ALERTING = (ROOT / "alerting.example.yaml").read_bytes()


@bounded
@given(data=st.data())
def test_fuzz_cli_alerts_check_damaged_alerting_file(tmp_path, data):
    path = damaged_yaml_file(tmp_path / "alerting.yaml", ALERTING, data)
    result = invoke(["alerts", "check", "--config", str(path)])
    assert_no_crash(result)
    assert result.exit_code in (0, 1)
    errors = error_lines(result)
    if errors and errors[0].startswith("error: "):
        assert_one_line_error(result, str(path))
    else:
        assert all(line.startswith("channel ") and "missing environment variable" in line for line in errors), errors[:3]


# --- topics.yaml ----------------------------------------------------------------------------------------------

TOPICS = (ROOT / "topics.yaml").read_bytes()


@bounded
@given(data=st.data())
def test_fuzz_cli_topics_file_errors_are_one_line(tmp_path, data):
    path = damaged_yaml_file(tmp_path / "topics.yaml", TOPICS, data)
    try:
        specs = load_topics(path)
    except TopicsFileError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc) and len(str(exc)) < 2000, str(exc)[:300]
    else:
        assert all(isinstance(spec, TopicSpec) for spec in specs)


def test_fuzz_cli_topics_list_refuses_a_damaged_file_in_one_line(tmp_path, monkeypatch):
    path = tmp_path / "topics.yaml"
    path.write_bytes(TOPICS.replace(b"topics:", b"topics: [", 1))
    monkeypatch.setenv("VEILLE_TOPICS_FILE", str(path))
    get_settings.cache_clear()
    try:
        result = invoke(["topics", "list"])
    finally:
        get_settings.cache_clear()
    assert_no_crash(result)
    assert_one_line_error(result, str(path), "not valid YAML: line ")


def test_fuzz_cli_dashboards_check_cuts_a_huge_value_in_its_problem_line(tmp_path):
    for name, content in DASHBOARD_FILES.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "trends.ndjson").write_bytes(DASHBOARD_FILES["trends.ndjson"].replace(
        b'"dataType": "', b'"dataType": "' + b"x" * 300_000, 1))
    result = invoke(["dashboards", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    problems = error_lines(result)
    assert problems and all(line.startswith("problem: trends.ndjson:") and len(line) < 1000 for line in problems), problems
    assert "300,0" in problems[0]


HUGE = "x" * 300_000


@pytest.mark.parametrize(("args", "variable", "content", "expected"), [
    (["alerts", "check", "--config", "{path}"], None, f"channels: {{}}\nroutes:\n  default:\n    critical: [{HUGE}]\n", "characters)"),
    (["connect", "--once"], "VEILLE_WATCHES_FILE", f"watches:\n  - name: A\n    keywords: [a]\n    sources: [{HUGE}]\n", "characters)"),
    (["connect", "--once"], "VEILLE_WATCHES_FILE", f"watches:\n  - name: A\n    query: '{HUGE} AND'\n", "characters)"),
    (["connect", "--once"], "VEILLE_WATCHES_FILE", f"watches:\n  - name: A\n    keywords: [a]\n    ? {HUGE}\n    : 1\n", "Extra inputs"),
])
def test_fuzz_cli_yaml_errors_cut_a_huge_value(tmp_path, watches_file, args, variable, content, expected):
    path = watches_file if variable else tmp_path / "file.yaml"
    path.write_text(content)
    result = invoke([arg.format(path=path) for arg in args])
    assert result.exit_code in (1, 2)
    assert_one_line_error(result, f"error: {path}" if variable else str(path), expected)


def test_fuzz_cli_topics_errors_cut_a_huge_value(tmp_path):
    path = tmp_path / "topics.yaml"
    path.write_text(f"topics:\n  - {{name: {HUGE}, partitions: 1, retention_ms: 1}}\n  - {{name: {HUGE}, partitions: 1, retention_ms: 1}}\n")
    with pytest.raises(TopicsFileError) as raised:
        load_topics(path)
    assert len(str(raised.value)) < 1000 and "declared twice" in str(raised.value)
