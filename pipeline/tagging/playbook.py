"""The CM's action, priority and reply deadline for a tagged mention, from a playbook YAML.

The shipped ``playbook.yaml`` (networks) and the categories' rules (``pipeline/categories.py``) are the default;
an organisation's file (``Settings.playbook_file``) is merged over it key by key. :func:`plan` is pure: categories,
platform and creation time in, a :class:`Plan` out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from pipeline.categories import playbook_rules
from pipeline.inbox.triage import BASE_URGENCY, Signals, Urgency, delay_in_range, urgency
from pipeline.mention import CATEGORIES

DEFAULT_PLAYBOOK_FILE = Path(__file__).with_name("playbook.yaml")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d)?\s*$")
_UNIT_MINUTES = {None: 1, "m": 1, "min": 1, "h": 60, "d": 1440}


class PlaybookError(ValueError):
    """The playbook YAML is not usable; the message says which key is wrong."""


def parse_duration(value: Any) -> timedelta:
    """"15m", "4h", "1d" or a number of minutes."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(minutes=value)
    match = _DURATION.match(str(value))
    if not match:
        raise PlaybookError(f"not a duration: {value!r} (use e.g. 15m, 4h, 1d)")
    return timedelta(minutes=float(match.group(1)) * _UNIT_MINUTES[match.group(2)])


@dataclass(frozen=True, slots=True)
class Plan:
    action: str
    priority: str
    reply_by: datetime | None
    reasons: tuple[str, ...] = ()  # what moved the deadline inside the network's range (reach, crisis, ...)


@dataclass(frozen=True)
class Network:
    name: str
    fastest: timedelta
    slowest: timedelta


@dataclass(frozen=True)
class Rule:
    category: str
    action: str
    priority: str
    deadline: str | timedelta | None
    cap: timedelta | None


class Playbook:
    def __init__(self, data: dict[str, Any]):
        try:
            self.networks: dict[str, Network] = {}
            self.platform_network: dict[str, str] = {}
            for name, spec in data["networks"].items():
                self.networks[name] = Network(name, parse_duration(spec["fastest"]), parse_duration(spec["slowest"]))
                for platform in spec.get("platforms", []):
                    self.platform_network[str(platform)] = name
            self.default_network = data.get("default_network") or next(iter(self.networks))
            if self.default_network not in self.networks:
                raise PlaybookError(f"default_network {self.default_network!r} is not one of {sorted(self.networks)}")
            self.rules: list[Rule] = []
            for category, spec in data["categories"].items():
                if category not in CATEGORIES:
                    raise PlaybookError(f"unknown category {category!r}; known: {', '.join(CATEGORIES)}")
                deadline = spec.get("deadline")
                if deadline is not None and deadline not in ("fastest", "slowest", "middle"):
                    deadline = parse_duration(deadline)
                cap = parse_duration(spec["cap"]) if spec.get("cap") is not None else None
                self.rules.append(Rule(category, str(spec["action"]), str(spec["priority"]), deadline, cap))
        except KeyError as exc:
            raise PlaybookError(f"playbook is missing key {exc}") from None
        missing = set(CATEGORIES) - {rule.category for rule in self.rules}
        if missing:
            raise PlaybookError(f"playbook has no rule for {sorted(missing)}")

    def network_of(self, platform: str | None) -> Network:
        return self.networks[self.platform_network.get(platform or "", self.default_network)]

    def deadline(self, rule: Rule, platform: str | None, signals: Signals | None = None) -> timedelta | None:
        """A duration is taken as given; fastest/middle/slowest is the category's starting urgency, which
        ``signals`` move inside the network's range (:func:`pipeline.inbox.triage.urgency`)."""
        return self._deadline(rule, platform, signals)[0]

    def _deadline(self, rule: Rule, platform: str | None, signals: Signals | None) -> tuple[timedelta | None, Urgency]:
        if rule.deadline is None:
            return None, Urgency(0.0)
        network = self.network_of(platform)
        if isinstance(rule.deadline, timedelta):
            delay, moved = rule.deadline, Urgency(0.0)
        else:
            moved = urgency(BASE_URGENCY[rule.deadline], signals)
            delay = delay_in_range(network.fastest, network.slowest, moved.score)
        return (min(delay, rule.cap) if rule.cap is not None else delay), moved

    def plan(self, categories: list[str], platform: str | None, created_at: datetime | None,
             signals: Signals | None = None) -> Plan:
        """Action and priority of the highest-ranked category present; reply_by = created_at + the earliest
        deadline of any category present (a complaint keeps its 1 h even when a troll ranks first)."""
        present = [r for r in self.rules if r.category in set(categories)]
        if not present:
            present = [r for r in self.rules if r.category == "neutral"]
        found = [(d, moved) for d, moved in (self._deadline(r, platform, signals) for r in present) if d is not None]
        if not found or created_at is None:
            return Plan(present[0].action, present[0].priority, None)
        delay, moved = min(found, key=lambda pair: pair[0])
        return Plan(present[0].action, present[0].priority, created_at + delay, moved.reasons)


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged


def load_playbook(override_file: Path | None = None) -> Playbook:
    """The shipped playbook and the categories' rules, with the organisation's file (if any) merged over them."""
    data = {**yaml.safe_load(DEFAULT_PLAYBOOK_FILE.read_text(encoding="utf-8")), "categories": playbook_rules()}
    if override_file is not None:
        override = yaml.safe_load(Path(override_file).read_text(encoding="utf-8")) or {}
        if not isinstance(override, dict):
            raise PlaybookError(f"{override_file}: expected a mapping at the top level")
        data = _merge(data, override)
    return Playbook(data)
