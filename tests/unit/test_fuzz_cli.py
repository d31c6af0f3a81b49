"""Hostile files fed to every CLI that reads one, without Kafka or Elasticsearch.

Each command must exit 0, 1 or 2, print no Python traceback, and say on one line what was wrong (and,
for a series or a batch, where). The known faults come first as plain tests.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipeline.cli import app, load_commands

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


def assert_no_crash(result) -> None:
    """Exit 0, 1 or 2, no traceback, and an exit other than 0 explained on stderr."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output[-2000:])
    assert "Traceback" not in result.output
    if result.exit_code:
        assert result.stderr.strip(), "an exit status without a word on stderr"


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


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
