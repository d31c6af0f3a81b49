"""Every category a mention can be tagged with, defined once.

The tagger's list of categories (:data:`pipeline.mention.CATEGORIES`), the playbook's category rules
(:func:`playbook_rules`, read by ``pipeline/tagging/playbook.py``), the web labels (``pipeline/web/i18n.py``),
the inbox chip colours (``pipeline/web/static/categories.css``, written by :func:`chip_css`) and the crisis
agent's series (``pipeline/alerts/model.py``, ``pipeline/trends/crisis.py``) are all read from
:data:`DEFINITIONS`. ``tests/unit/test_categories.py`` checks each of them against it.

Adding a category: one :class:`Category` below, and then

- if it has a colour, the chip colours file: ``python -m pipeline.categories > pipeline/web/static/categories.css``;
- its patterns in ``pipeline/tagging/lexicons.yaml``, with examples in ``examples.yaml`` (the trained tagger applies
  them; the rule tagger, used when no model is installed, has its own in ``pipeline/tagging/rules.py``);
- phrases of it for the sample generator (``tests/unit/test_sample_stream.py`` checks that every category is there);
- if it has a crisis series, a boolean field of its name on :class:`pipeline.trends.signals.Signal`.

A trained head for it is a change to training (``pipeline/tagging/training.py``, ``HEAD_CATEGORIES`` in
``pipeline/tagging/trained.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CRISIS_INCIDENT = "crisis"  # the incident that volume, negative and crisis-joining category spikes share


@dataclass(frozen=True, slots=True)
class ChipColour:
    background: str
    text: str


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    label_en: str
    label_fr: str
    # the community manager's playbook: what to do, how urgent, and by when ("fastest", "middle" or
    # "slowest" of the network's range, a duration such as "45m", or None: no reply expected); ``cap``
    # bounds the deadline whatever the network
    action: str
    priority: str
    deadline: str | None
    # when a mention has several categories, the one with the lowest precedence decides the action,
    # the priority and the deadline
    precedence: int
    cap: str | None = None
    colour: ChipColour | None = None  # None: the plain chip colour
    # spikes of this category's mentions are a crisis series: part of the ``crisis`` incident (with volume
    # and negative spikes) or an incident of their own under this name; None: no series
    spike_incident: str | None = None
    # False where a positive sentiment is not praise (an enthusiastic counterfeit ad is not a compliment)
    praise: bool = True

    def label(self, lang: str) -> str:
        return self.label_fr if lang == "fr" else self.label_en

    @property
    def spike_series(self) -> str | None:
        return f"{self.name}_spike" if self.spike_incident else None


_ALERT = ChipColour("#fee2e2", "#991b1b")
_LEGAL = ChipColour("#fef3c7", "#92400e")

# In the order people see them (the inbox's correction form, the CLI's help).
DEFINITIONS: tuple[Category, ...] = (
    Category("complaint", "complaint", "réclamation", action="help solve the customer's problem", priority="high",
             deadline="middle", cap="1h", precedence=2, colour=_ALERT, spike_incident=CRISIS_INCIDENT, praise=False),
    Category("troll", "troll", "troll", action="watch, do not feed, apply the netiquette", priority="medium",
             deadline="slowest", precedence=6, colour=ChipColour("#f3e8ff", "#6b21a8"), spike_incident="troll",
             praise=False),
    Category("counterfeit", "counterfeit", "contrefaçon", action="contact the author", priority="high",
             deadline="middle", precedence=4, colour=_LEGAL, praise=False),
    Category("positive", "positive", "positif", action="like, maybe comment", priority="low", deadline="slowest",
             precedence=8, colour=ChipColour("#dcfce7", "#166534")),
    Category("review", "review", "avis", action="like, comment, share", priority="medium", deadline="slowest",
             precedence=7),
    Category("neutral", "neutral", "neutre", action="nothing", priority="none", deadline=None, precedence=9),
    Category("false_information", "false information", "fausse information",
             action="correct the information and keep the dialogue open", priority="high", deadline="fastest",
             precedence=3, praise=False),
    Category("copyright", "copyright", "droit d'auteur", action="contact the author", priority="medium",
             deadline="middle", precedence=5, colour=_LEGAL, praise=False),
    Category("legal_violation", "legal violation", "infraction",
             action="contact the author citing the netiquette, then remove the post", priority="urgent",
             deadline="fastest", precedence=1, colour=_LEGAL, praise=False),
)


def names() -> tuple[str, ...]:
    return tuple(category.name for category in DEFINITIONS)


def labels(lang: str) -> dict[str, str]:
    return {category.name: category.label(lang) for category in DEFINITIONS}


def playbook_rules() -> dict[str, dict[str, Any]]:
    """The ``categories:`` section of a playbook, highest precedence first (the order decides)."""
    rules = {}
    for category in sorted(DEFINITIONS, key=lambda c: c.precedence):
        rule: dict[str, Any] = {"action": category.action, "priority": category.priority, "deadline": category.deadline}
        if category.cap is not None:
            rule["cap"] = category.cap
        rules[category.name] = rule
    return rules


def spiking() -> dict[str, Category]:
    """Crisis series name → its category, for the categories that have one, in definition order."""
    return {category.spike_series: category for category in DEFINITIONS if category.spike_series}


def not_praise() -> frozenset[str]:
    return frozenset(category.name for category in DEFINITIONS if not category.praise)


def chip_css() -> str:
    """The stylesheet of the category chips (``pipeline/web/static/categories.css``)."""
    lines = ["/* Written by `python -m pipeline.categories` from pipeline/categories.py: edit the colours there. */"]
    lines += [f".chip.cat-{c.name} {{ background: {c.colour.background}; color: {c.colour.text}; }}"
              for c in DEFINITIONS if c.colour is not None]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(chip_css(), end="")
