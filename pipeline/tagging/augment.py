"""Noisy copies of the brand mentions, so the heads learn that the noise of real posts says nothing about their meaning.

Real posts carry hashtags, emojis, @handles, doubled punctuation and typos in proportions no writer of training data
matches. Without these copies, "Moi aussi !! Ils m'ont jamais remboursée." scored 0.19 as a complaint and the same
text without "!!" 0.80; two topical hashtags halved another complaint's score. Each copy keeps its original's labels
and adds noise drawn from texts of the same language and sentiment (an angry emoji is not moved onto praise), with a fixed seed.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from pipeline.tagging.datasets import BrandMention

_HASHTAG = re.compile(r"#\w+")
_EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")
_WORD = re.compile(r"\b[^\W\d_]{5,}\b")
HANDLES = ("@marie_l", "@jdupont75", "@sam.k", "@lea_b", "@tom_r", "@nina.paris", "@alex_93", "@kev_in")


def _noise_pools(mentions: Sequence[BrandMention]) -> dict[tuple[str, str], tuple[list[str], list[str]]]:
    """Per language and sentiment: the hashtags and emojis the mentions of that language and sentiment use."""
    pools: dict[tuple[str, str], tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for mention in mentions:
        hashtags, emojis = pools[mention.lang, mention.sentiment]
        hashtags.extend(tag for tag in _HASHTAG.findall(mention.text) if not tag.lower().startswith("#boycott"))
        emojis.extend(_EMOJI.findall(mention.text))
    return pools


def _typo(text: str, rng: random.Random) -> str:
    words = list(_WORD.finditer(text))
    if not words:
        return text
    word = rng.choice(words)
    i = rng.randrange(word.start(), word.end() - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def noisy_text(text: str, hashtags: Sequence[str], emojis: Sequence[str], rng: random.Random) -> str:
    """``text`` with some of: a typo, doubled ! or ?, a leading @handle, trailing emojis and hashtags."""
    if rng.random() < 0.4:
        text = _typo(text, rng)
    if rng.random() < 0.3:
        text = re.sub(r"([.!?])(\s|$)", lambda m: ("!!" if m.group(1) != "?" else "??") + m.group(2), text, count=1)
    if rng.random() < 0.3:
        text = f"{rng.choice(HANDLES)} {text}"
    tail = []
    if emojis and rng.random() < 0.5:
        tail.append("".join(rng.choice(emojis) for _ in range(rng.randint(1, 3))))
    if hashtags and rng.random() < 0.6:
        tail.extend(rng.choice(hashtags) for _ in range(rng.randint(1, 3)))
    return " ".join([text, *tail]) if tail else text


def noisy_copies(mentions: Sequence[BrandMention], seed: int) -> list[BrandMention]:
    """One noisy copy of each mention (those whose noise left the text unchanged are dropped)."""
    rng = random.Random(seed)
    pools = _noise_pools(mentions)
    copies = []
    for mention in mentions:
        hashtags, emojis = pools[mention.lang, mention.sentiment]
        text = noisy_text(mention.text, hashtags, emojis, rng)
        if text != mention.text:
            copies.append(replace(mention, text=text, case=f"{mention.case}+noise"))
    return copies
