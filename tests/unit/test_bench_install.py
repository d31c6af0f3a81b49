"""`make bench` on a fresh clone installs what the benchmarks load: the spaCy model of the naive baseline
comes from the `bench` extra, which the Makefile's bench target installs."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _spacy_models_loaded_by_the_benchmarks() -> set[str]:
    found = set()
    for path in (ROOT / "bench").glob("*.py"):
        found |= set(re.findall(r"spacy\.load\(\s*[\"']([A-Za-z0-9_]+)[\"']", path.read_text(encoding="utf-8")))
    return found


def test_bench_install_extra_provides_every_spacy_model_the_benchmarks_load():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    provided = {re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0].lower().replace("-", "_")
                for requirement in extras.get("bench", [])}
    models = _spacy_models_loaded_by_the_benchmarks()
    assert "fr_core_news_sm" in models  # the naive baseline
    assert models <= provided, f"models loaded by bench/ but not in the bench extra: {sorted(models - provided)}"


def test_bench_install_make_bench_installs_the_bench_extra():
    dry_run = subprocess.run(["make", "-n", "-B", "--no-print-directory", "bench"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert dry_run.returncode == 0, dry_run.stderr
    installs = [line for line in dry_run.stdout.splitlines() if "pip install" in line and "-e" in line]
    assert any(re.search(r"\.\[[^\]]*\bbench\b[^\]]*\]", line) for line in installs), dry_run.stdout
    assert dry_run.stdout.rstrip().splitlines()[-1].endswith("-m bench")  # installed before it runs
