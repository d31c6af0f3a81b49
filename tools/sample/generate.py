"""Deterministic generator of the bundled sample stream used by the demo and the tests.

``python -m tools.sample.generate --out data/sample/mentions.jsonl --seed 7`` (the defaults) writes, side by side:

* ``mentions.jsonl``: about 3,600 French and English mentions (about 60 % French) of two fictional brands,
  Aquarelle (cosmetics) and Lumio (smart lamps), and of their competitor Nordlys, over 48 hours with a daily
  rhythm, one :class:`pipeline.mention.Mention` per line, sorted by ``created_at``. On the second evening a
  two-hour crisis burst: an ignored allergic reaction to Aquarelle's Crème Nuage goes viral
  (``#BoycottAquarelle``, near-duplicate reshares, quotes, trolls, rumours, press).
* ``labels.jsonl``: for every mention the categories and sentiment its text was written to express, its
  language, the scenario it comes from and whether it belongs to the crisis burst.
* ``malformed.jsonl``: records that :func:`pipeline.mention.parse_mention` must reject, one reason each
  (see :data:`MALFORMED_CASES`).

Same seed and count, same bytes: one :class:`random.Random` drives everything and nothing iterates a set.
The phrases come from ``phrases.yaml`` next to this file (read by :mod:`tools.sample.phrases`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Annotated, Any

import orjson
import typer

from pipeline.mention import InvalidMention, Mention, parse_mention
from pipeline.settings import PROJECT_ROOT
from tools.sample import phrases
from tools.sample.phrases import BRANDS, CRISIS_BRAND, EN, FR, Brand, Scenario

START = datetime(2026, 11, 16, tzinfo=UTC)  # a Monday, 00:00 UTC; Paris is UTC+1 then
SPAN = timedelta(hours=48)
BURST_START = START + timedelta(hours=42, minutes=30)  # Tuesday 19:30 in Paris
BURST_LENGTH = timedelta(hours=2)
DEFAULT_COUNT = 3600
DEFAULT_OUT = PROJECT_ROOT / "data" / "sample" / "mentions.jsonl"

BURST_SHARE = 0.2  # of all mentions, inside the two-hour window
CRISIS_TAIL_SHARE = 0.025  # crisis mentions in the hours after the burst
CRISIS_PRELUDE_SHARE = 0.008  # sympathy and reshares before the burst
REPLY_SHARE = 0.14

# Relative volume per local hour (0 h … 23 h): quiet nights, a lunch bump, busy evenings.
LOCAL_HOUR_WEIGHTS = (
    0.35, 0.2, 0.12, 0.08, 0.07, 0.1, 0.25, 0.5, 0.8, 0.95, 1.0, 1.05,
    1.2, 1.15, 1.0, 0.95, 1.0, 1.1, 1.3, 1.5, 1.6, 1.55, 1.2, 0.7,
)
UTC_OFFSETS = {FR: ((1, 1.0),), EN: ((0, 0.55), (-5, 0.3), (-8, 0.15))}
BRAND_WEIGHTS = {"Aquarelle": 0.47, "Lumio": 0.35, "Nordlys": 0.18}
CONVERSATIONAL = ("twitter", "instagram", "facebook", "reddit", "youtube", "mastodon", "bluesky", "forum")  # threads, typos, emojis
WITH_VIEWS = ("twitter", "youtube", "instagram")
WITH_FOLLOWERS = {"twitter": 1.0, "instagram": 1.4, "youtube": 0.8, "mastodon": 0.25, "bluesky": 0.45}
CRISIS_PLATFORMS = {"twitter": 55, "instagram": 12, "facebook": 10, "bluesky": 7, "mastodon": 4, "reddit": 5, "youtube": 4, "forum": 3}
TWITTER_EPOCH_MS = 1288834974657
BASE32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"

_SLOT = re.compile(r"\{(\w+)\}")
_CHOICE = re.compile(r"\[([^\[\]]*)\]")
_SPACE_BEFORE_STOP = re.compile(r"\s+([.,])")
_FRENCH_ELISION = re.compile(r"\b([dDlL])[ea] (?=[AEIOUÉ])")  # "de Aquarelle" -> "d'Aquarelle"
_TYPO_CANDIDATE = re.compile(r"^[a-zàâäçéèêëîïôöûùüÿœ]{5,}$")


def fill(template: str, slots: dict[str, Any], rng: Random) -> str:
    """Fill ``{slot}`` values (a string, a tuple to pick from, or a function of ``rng``), then ``[a|b]`` choices."""

    def slot_value(match: re.Match[str]) -> str:
        value = slots[match.group(1)]
        if callable(value):
            return value(rng)
        if isinstance(value, tuple):
            return rng.choice(value)
        return value

    text = template
    for _ in range(4):
        expanded = _SLOT.sub(slot_value, text)
        if expanded == text:
            break
        text = expanded
    while (chosen := _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), text)) != text:
        text = chosen
    return _SPACE_BEFORE_STOP.sub(r"\1", " ".join(text.split()))


def elide(text: str) -> str:
    """French elision before a capitalised name that starts with a vowel (brand and product names)."""
    return _FRENCH_ELISION.sub(r"\1'", text)


def as_sentence(text: str) -> str:
    return text + "." if text[-1:].isalnum() else text


def for_sector(templates: Sequence[str], sector: str) -> list[str]:
    """The templates that fit a brand's sector, without their ``beauty::``/``lamp::`` marker."""
    kept = []
    for template in templates:
        marker, _, rest = template.partition("::")
        if not rest:
            kept.append(template)
        elif marker == sector:
            kept.append(rest)
    return kept


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def add_typo(text: str, rng: Random) -> str:
    """Misspell one ordinary lower-case word (never a name, a handle, a hashtag or a URL)."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if _TYPO_CANDIDATE.match(w)]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    j = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    elif kind == 1:
        word = word[:j] + word[j + 1 :]
    else:
        word = word[:j] + word[j] + word[j:]
    words[i] = word
    return " ".join(words)


def lowercase_outside_urls(text: str) -> str:
    return " ".join(w if w.startswith("http") else w.lower() for w in text.split(" "))


def slugify(text: str, limit: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")


def random_string(rng: Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Person:
    first: str
    last: str
    lang: str
    handle: str
    followers: int
    kind: str = "person"  # person, troll, seller, brand, journalist, blogger
    instance: str = ""  # Mastodon
    site: str = ""  # news outlet or blog domain
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}".strip()


@dataclass
class Item:
    """One mention being built, with what it is meant to express."""

    mention: dict[str, Any]
    categories: tuple[str, ...]
    sentiment: str
    lang: str
    scenario: str
    in_crisis_burst: bool = False
    brand: str = ""
    person: Person | None = None
    depth: int = 0

    @property
    def created_at(self) -> datetime:
        return datetime.strptime(self.mention["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)

    def label(self) -> dict[str, Any]:
        return {
            "id": self.mention["id"],
            "intended_categories": list(self.categories),
            "intended_sentiment": self.sentiment,
            "in_crisis_burst": self.in_crisis_burst,
            "lang": self.lang,
            "scenario": self.scenario,
        }


class SampleWriter:
    """Builds the stream. All randomness comes from ``self.rng``, in a fixed order."""

    def __init__(self, seed: int, count: int, start: datetime = START):
        if count < 50:
            raise ValueError("count must be at least 50 to hold the crisis and the base stream")
        self.rng = Random(seed)
        self.count = count
        self.start = start
        self.burst_start = start + (BURST_START - START)
        self.end = start + SPAN
        self.items: list[Item] = []
        self.used_ids: set[str] = set()
        self.people = {lang: [self._new_person(lang) for _ in range(max(60, count // 4))] for lang in (FR, EN)}
        self.people_weights = {lang: [1 / (rank + 1) ** 0.6 for rank in range(len(pool))] for lang, pool in self.people.items()}
        self.trolls = [Person("", "", FR, handle, int(self.rng.lognormvariate(3.5, 1.2)), kind="troll") for handle in phrases.TROLL_HANDLES]
        self.sellers = {
            sector: [Person("", "", FR, handle, int(self.rng.lognormvariate(7, 0.8)), kind="seller") for handle in handles]
            for sector, handles in phrases.COUNTERFEIT_SELLERS.items()
        }
        self.brand_accounts = {
            name: (
                Person(name, "", FR, brand.handle, int(self.rng.lognormvariate(12, 0.3)), kind="brand"),
                Person(f"{name} Service Client" if brand.french_share > 0.6 else f"{name} Support", "", FR, brand.care_handle,
                       int(self.rng.lognormvariate(8.5, 0.3)), kind="brand"),
            )
            for name, brand in BRANDS.items()
        }
        self.facebook_pages = {name: str(self.rng.randrange(10**14, 10**15)) for name in BRANDS}
        self.youtube_videos = {(name, lang): [random_string(self.rng, ALNUM + "-_", 11) for _ in range(4)] for name in BRANDS for lang in (FR, EN)}
        self.forum_threads: dict[tuple[str, str], list[int]] = {}

    # --- people -------------------------------------------------------------------------------------------

    def _new_person(self, lang: str) -> Person:
        rng = self.rng
        first = rng.choice(phrases.FIRST_NAMES[lang])
        last = rng.choice(phrases.LAST_NAMES[lang])
        plain_first, plain_last = slugify(first).replace("-", ""), slugify(last).replace("-", "")
        pattern = rng.randrange(6)
        base = (
            f"{plain_first}{plain_last}",
            f"{plain_first}_{plain_last[:4]}",
            f"{plain_first}.{plain_last}",
            f"{plain_first}{rng.choice(phrases.HANDLE_SUFFIXES)}",
            f"{plain_last}{plain_first[0]}",
            f"the{plain_first}{plain_last[:1]}",
        )[pattern]
        handle = (base + rng.choice(phrases.HANDLE_SUFFIXES))[:15].strip("._")
        followers = int(rng.lognormvariate(5.0, 1.7))
        if rng.random() < 0.01:  # the occasional influencer
            followers = int(followers * rng.uniform(50, 400))
        instance = rng.choice(phrases.MASTODON_INSTANCES[lang])
        return Person(first, last, lang, handle, followers, instance=instance)

    def person(self, lang: str) -> Person:
        return self.rng.choices(self.people[lang], self.people_weights[lang])[0]

    def author(self, person: Person, platform: str) -> dict[str, Any]:
        rng = self.rng
        if platform not in person.ids:
            person.ids[platform] = {
                "twitter": lambda: str(rng.randrange(10**9, 10**19)),
                "instagram": lambda: str(rng.randrange(10**9, 10**11)),
                "facebook": lambda: str(rng.randrange(10**14, 10**15)),
                "mastodon": lambda: str(rng.randrange(10**17, 10**18)),
                "bluesky": lambda: "did:plc:" + random_string(rng, BASE32_SORTABLE, 24),
                "reddit": lambda: "t2_" + random_string(rng, BASE36, 8),
                "youtube": lambda: "UC" + random_string(rng, ALNUM + "-_", 22),
                "forum": lambda: str(rng.randrange(1000, 999999)),
            }[platform]()
        author: dict[str, Any] = {"id": person.ids[platform]}
        handle = person.handle
        if platform == "mastodon":
            handle = f"{person.handle}@{person.instance or 'mastodon.social'}"
        elif platform == "bluesky":
            handle = f"{person.handle.replace('_', '-')}.bsky.social"
        if platform not in ("facebook", "news", "blog"):
            author["handle"] = handle
        author["name"] = person.name or handle
        factor = WITH_FOLLOWERS.get(platform)
        if factor is not None:
            author["followers"] = int(person.followers * factor)
        return author

    # --- where a mention lives -----------------------------------------------------------------------------

    def unique(self, make: Callable[[], str]) -> str:
        while (value := make()) in self.used_ids:
            pass
        self.used_ids.add(value)
        return value

    def place(self, platform: str, person: Person, created: datetime, brand: Brand, lang: str,
              parent: Item | None, title: str | None) -> dict[str, Any]:
        """native_id, source, url (and reddit/forum thread parents) in each platform's own format."""
        rng = self.rng
        ms = int(created.timestamp() * 1000)
        handle = self.author(person, platform)["handle"] if platform not in ("facebook", "news", "blog") else ""
        out: dict[str, Any] = {}
        if platform == "twitter":
            nid = self.unique(lambda: str(((ms - TWITTER_EPOCH_MS) << 22) | rng.getrandbits(22)))
            out |= {"source": f"twitter:rule:{brand.name.lower()}", "url": f"https://x.com/{handle}/status/{nid}"}
        elif platform == "mastodon":
            nid = self.unique(lambda: str((ms << 16) | rng.getrandbits(16)))
            user, instance = handle.split("@")
            out |= {"source": instance, "url": f"https://{instance}/@{user}/{nid}"}
        elif platform == "bluesky":
            micros = int(created.timestamp() * 1_000_000)
            rkey = self.unique(lambda: _tid(micros, rng.getrandbits(10)))
            nid = f"at://{self.author(person, platform)['id']}/app.bsky.feed.post/{rkey}"
            out |= {"source": "bsky:jetstream", "url": f"https://bsky.app/profile/{handle}/post/{rkey}"}
        elif platform == "instagram":
            if parent is None:
                nid = self.unique(lambda: str(rng.randrange(10**18, 10**19)))
                out |= {"source": f"instagram:hashtag:{brand.name.lower()}",
                        "url": f"https://www.instagram.com/p/{random_string(rng, ALNUM + '-_', 11)}/"}
            else:
                nid = self.unique(lambda: str(rng.randrange(10**16, 10**17)))
                post_url = parent.mention["url"].split("/c/")[0].rstrip("/")
                out |= {"source": parent.mention["source"], "url": f"{post_url}/c/{nid}/"}
        elif platform == "facebook":
            page = self.facebook_pages[brand.name]
            if parent is None:
                post = self.unique(lambda: str(rng.randrange(10**15, 10**16)))
                nid = f"{page}_{post}"
                out |= {"source": f"facebook:page:{brand.handle}", "url": f"https://www.facebook.com/{page}/posts/{post}"}
            else:
                post = parent.mention["url"].split("/posts/")[1].split("?")[0]
                comment = self.unique(lambda: str(rng.randrange(10**15, 10**16)))
                nid = f"{post}_{comment}"
                out |= {"source": parent.mention["source"], "url": f"{parent.mention['url'].split('?')[0]}?comment_id={comment}"}
        elif platform == "reddit":
            if parent is None and title is not None:
                post = self.unique(lambda: random_string(rng, BASE36, 7))
                nid = f"t3_{post}"
                sub = rng.choice(phrases.SUBREDDITS[(brand.sector, lang)])
                out |= {"source": f"r/{sub}", "url": f"https://www.reddit.com/r/{sub}/comments/{post}/{slugify(title, 40)}/"}
            else:
                comment = self.unique(lambda: random_string(rng, BASE36, 7))
                nid = f"t1_{comment}"
                if parent is None:  # a comment under a post that is not in the sample
                    sub = rng.choice(phrases.SUBREDDITS[(brand.sector, lang)])
                    post = random_string(rng, BASE36, 7)
                    out |= {"parent_id": f"reddit:t3_{post}", "conversation_id": f"reddit:t3_{post}"}
                else:
                    sub = parent.mention["source"].removeprefix("r/")
                    post = parent.mention["url"].split("/comments/")[1].split("/")[0]
                out |= {"source": f"r/{sub}", "url": f"https://www.reddit.com/r/{sub}/comments/{post}/comment/{comment}/"}
        elif platform == "youtube":
            if parent is None:
                video = rng.choice(self.youtube_videos[(brand.name, lang)])
                nid = self.unique(lambda: "Ugx" + random_string(rng, ALNUM + "-_", 18) + "4AaABAg")
            else:
                video = parent.mention["source"].removeprefix("youtube:video:")
                root_id = parent.mention["native_id"].split(".")[0]
                nid = self.unique(lambda: f"{root_id}.{random_string(rng, ALNUM + '-_', 22)}")
            out |= {"source": f"youtube:video:{video}", "url": f"https://www.youtube.com/watch?v={video}&lc={nid}"}
        elif platform == "forum":
            base = phrases.FORUMS[(brand.sector, lang)]
            threads = self.forum_threads.setdefault((brand.sector, lang), [])
            if parent is not None:
                thread = int(parent.mention["url"].split("/t/")[1].split("#")[0])
            elif title is not None or not threads:
                thread = rng.randrange(10_000, 99_999)
                threads.append(thread)
            else:
                thread = rng.choice(threads)
            post = self.unique(lambda: str(rng.randrange(100_000, 9_999_999)))
            nid = f"{thread}-{post}"
            out |= {"source": base, "url": f"{base}/t/{thread}#p{post}"}
        elif platform in ("news", "blog"):
            site = person.site
            slug = slugify(title or "article")
            if platform == "news":
                section = rng.choice(("conso", "entreprises", "tech") if lang == FR else ("business", "retail", "tech"))
                url = self.unique(lambda: f"https://www.{site}/{section}/{slug}-{rng.randrange(10**5, 10**6)}.html")
                out["source"] = f"https://www.{site}/rss.xml"
            else:
                url = self.unique(lambda: f"https://{site}/{created:%Y/%m}/{slug}-{rng.randrange(10, 99)}/")
                out["source"] = f"https://{site}/feed"
            nid = url
            out["url"] = url
        else:
            raise ValueError(f"no format for platform {platform}")
        return {"native_id": nid, **out}

    # --- content -------------------------------------------------------------------------------------------

    def slots(self, brand: Brand, lang: str, product: str | None = None) -> dict[str, Any]:
        rng = self.rng
        chosen = next(p for p in brand.products if p.name == product) if product else rng.choice(brand.products)
        short_share = 0.45 if brand.name == "Aquarelle" else 0.15
        product_text = chosen.name if rng.random() < short_share else f"{brand.name} {chosen.name}"
        competitor = phrases.COMPETITOR if brand.name != phrases.COMPETITOR else "Lumio"
        if brand.name == phrases.COMPETITOR:
            cproduct = "Lumio Halo"
        else:
            cproduct = f"{phrases.COMPETITOR} {rng.choice(phrases.COMPETITOR_PRODUCT_AGAINST[brand.name])}"
        low, high = (12, 65) if brand.sector == "beauty" else (39, 189)
        price = rng.randrange(low, high)
        sector_emoji = phrases.SECTOR_EMOJI[brand.sector]

        def emoji(pool: Sequence[str]) -> Callable[[Random], str]:
            return lambda r: "" if r.random() < 0.3 else r.choice(tuple(pool))

        key = (brand.sector, lang)
        # Values drawn once per mention so that a headline, its body and a reply agree; tuples and
        # functions are drawn at each use.
        return {
            "brand": brand.name,
            "brandslug": slugify(brand.name),
            "of_brand": f"d'{brand.name}" if brand.name[0] in "AEIOUaeiou" else f"de {brand.name}",
            "at": f"@{brand.handle}",
            "care": f"@{brand.care_handle}",
            "product": product_text,
            "pname": chosen.name,
            "ptype": chosen.kind[lang],
            "detail": phrases.DETAILS[key],
            "issue": phrases.ISSUES[key],
            "weak": phrases.WEAKNESSES[key],
            "cheap": phrases.CHEAP_THINGS[key],
            "market": rng.choice(phrases.MARKETS[key]),
            "shop": rng.choice(phrases.SHOPS[key]),
            "competitor": competitor,
            "cproduct": cproduct,
            "days": str(rng.randrange(3, 22)),
            "days2": str(rng.randrange(2, 29)),
            "weeks": str(rng.randrange(2, 11)),
            "months": str(rng.randrange(2, 15)),
            "minutes": str(rng.randrange(20, 96)),
            "order": rng.choice(("", "#", "n°" if lang == FR else "no. ")) + f"{brand.order_prefix}-{rng.randrange(100000, 999999)}",
            "price": str(price),
            "price2": str(price + rng.randrange(10, 60)),
            "price_low": str(max(5, price // 5)),
            "percent": str(rng.randrange(5, 41)),
            "fake_percent": rng.choice(("70", "75", "80", "85")),
            "city": rng.choice(phrases.CITIES[lang]),
            "ceo": phrases.CEOS[brand.name],
            "ambassador": phrases.AMBASSADORS[brand.name],
            "scam_url": rng.choice(phrases.SCAM_URLS[brand.sector]),
            "video_url": rng.choice(phrases.VIDEO_LEAK_URLS),
            "manual_url": rng.choice(phrases.MANUAL_LEAK_URLS),
            "short": lambda r: "https://bit.ly/" + random_string(r, ALNUM, 7),
            "emo_pos": emoji(phrases.EMOJI["positive"] + sector_emoji),
            "emo_neg": emoji(phrases.EMOJI["negative"]),
            "emo_neu": emoji(phrases.EMOJI["neutral"] + sector_emoji),
            "hashtag": phrases.CRISIS_HASHTAG,
            "victim": phrases.CRISIS_VICTIM[0],
            "agent": phrases.CARE_AGENTS,
            "user": "",
            "first": "",
        }

    def roughen(self, text: str, lang: str, platform: str, sentiment: str, brand: Brand) -> str:
        """The noise of real posts: typos, missing accents, lower case, emojis, hashtags, photo links."""
        rng = self.rng
        if platform not in CONVERSATIONAL:
            return text
        if rng.random() < 0.15:
            text = add_typo(text, rng)
        if rng.random() < 0.05:
            text = add_typo(text, rng)
        if lang == FR and rng.random() < 0.07:
            text = strip_accents(text)
        if rng.random() < 0.08:
            text = lowercase_outside_urls(text)
        if rng.random() < (0.55 if platform == "instagram" else 0.2):
            pool = phrases.EMOJI[sentiment] + (phrases.SECTOR_EMOJI[brand.sector] if sentiment != "negative" else ())
            text += " " + "".join(rng.choice(pool) for _ in range(rng.choice((1, 1, 2, 3))))
        if rng.random() < (0.5 if platform == "instagram" else 0.15):
            text += " " + " ".join(rng.sample(brand.hashtags, rng.choice((1, 1, 2, 3))))
        if platform == "twitter" and rng.random() < 0.06:
            text += " https://t.co/" + random_string(rng, ALNUM, 10)
        return text

    def metrics(self, platform: str, person: Person, boost: float = 1.0) -> dict[str, int]:
        rng = self.rng
        reach = person.followers if person.followers else int(rng.lognormvariate(5, 1.4))
        likes = int(reach * rng.lognormvariate(-4.0, 1.2) * boost)
        if platform in ("news", "blog"):
            return {"likes": 0, "shares": int(rng.lognormvariate(1.5, 1.5) * boost), "replies": int(rng.lognormvariate(0.5, 1.2))}
        metrics = {
            "likes": likes,
            "shares": int(likes * rng.betavariate(1.2, 6)) if platform not in ("reddit", "forum", "youtube") else 0,
            "replies": int(likes * rng.betavariate(1, 9)),
        }
        if platform in WITH_VIEWS:
            metrics["views"] = int(reach * rng.lognormvariate(-0.5, 1.0) * boost) + likes * rng.randrange(5, 30)
        return metrics

    def declared_language(self, platform: str, lang: str) -> str | None:
        rng = self.rng
        roll = rng.random()
        if platform == "twitter":
            return lang
        if platform == "mastodon":  # many toots carry the author's interface language, not the post's
            return lang if roll < 0.8 else EN if roll < 0.9 else None
        if platform == "bluesky":
            return lang if roll < 0.85 else None
        if platform == "news":
            return lang if roll < 0.8 else None
        if platform == "blog":
            return ("fr-FR" if lang == FR else "en-US") if roll < 0.5 else None
        return None

    def random_time(self, lang: str) -> datetime:
        rng = self.rng
        offsets, weights = zip(*UTC_OFFSETS[lang], strict=True)
        offset = rng.choices(offsets, weights)[0]
        local = rng.randrange(2) * 86400 + rng.choices(range(24), LOCAL_HOUR_WEIGHTS)[0] * 3600 + rng.randrange(3600)
        return self.start + timedelta(seconds=(local - offset * 3600) % int(SPAN.total_seconds()))

    def watch_of(self, brand: Brand, *texts: str | None) -> list[str]:
        body = " ".join(t for t in texts if t).lower()
        return [name for name in BRANDS if name == brand.name or name.lower() in body]

    def build(self, *, platform: str, person: Person, created: datetime, brand: Brand, lang: str, text: str,
              categories: tuple[str, ...], sentiment: str, scenario: str, title: str | None = None,
              parent: Item | None = None, boost: float = 1.0, in_crisis_burst: bool = False,
              watch: list[str] | None = None) -> Item:
        placed = self.place(platform, person, created, brand, lang, parent, title)
        mention: dict[str, Any] = {
            "id": f"{platform}:{placed['native_id']}",
            "platform": platform,
            "native_id": placed["native_id"],
            "source": placed["source"],
            "author": self.author(person, platform),
            "text": text,
        }
        if title:
            mention["title"] = title
        language = self.declared_language(platform, lang)
        if language:
            mention["language"] = language
        mention["url"] = placed["url"]
        mention["created_at"] = iso(created)
        mention["metrics"] = self.metrics(platform, person, boost)
        if parent is not None:
            mention["parent_id"] = parent.mention["id"]
            mention["conversation_id"] = parent.mention.get("conversation_id") or parent.mention["id"]
        elif "parent_id" in placed:
            mention["parent_id"] = placed["parent_id"]
            mention["conversation_id"] = placed["conversation_id"]
        mention["watch"] = watch if watch is not None else self.watch_of(brand, text, title)
        item = Item(mention, categories, sentiment, lang, scenario, in_crisis_burst, brand.name, person,
                    depth=(parent.depth + 1) if parent else 0)
        self.items.append(item)
        return item

    def writer_for(self, platform: str, lang: str, brand: Brand, scenario: str) -> Person:
        rng = self.rng
        if platform in ("news", "blog"):
            sites = [d for _, d in phrases.NEWS_OUTLETS[lang]] if platform == "news" else list(phrases.BLOGS[(brand.sector, lang)])
            site = rng.choice(sites)
            person = Person(rng.choice(phrases.FIRST_NAMES[lang]), rng.choice(phrases.LAST_NAMES[lang]), lang, "", 0,
                            kind="journalist" if platform == "news" else "blogger")
            person.site = site
            person.ids[platform] = f"{site}/auteur/{slugify(person.name)}" if platform == "news" else site
            return person
        if scenario in ("troll", "discrimination", "complaint_rant") and rng.random() < 0.5:
            return rng.choice(self.trolls)
        if scenario == "counterfeit_seller":
            return rng.choice(self.sellers[brand.sector])
        return self.person(lang)

    # --- the base stream ------------------------------------------------------------------------------------

    def base_root(self) -> Item:
        rng = self.rng
        scenario: Scenario = rng.choices(phrases.SCENARIOS, [s.weight for s in phrases.SCENARIOS])[0]
        if scenario.with_competitor:
            brand = BRANDS[rng.choices(("Lumio", "Aquarelle"), (0.7, 0.3))[0]]
        else:
            names = [n for n in BRAND_WEIGHTS if BRANDS[n].sector in scenario.sectors]
            brand = BRANDS[rng.choices(names, [BRAND_WEIGHTS[n] for n in names])[0]]
        lang = FR if rng.random() < brand.french_share else EN
        platforms = scenario.platforms or phrases.SOCIAL
        platform = rng.choices(list(platforms), list(platforms.values()))[0]
        created = self.random_time(lang)
        person = self.writer_for(platform, lang, brand, scenario.name)
        slots = self.slots(brand, lang)
        texts = for_sector(scenario.texts[lang], brand.sector)
        template = rng.choice(texts)
        text = fill(template, slots, rng)
        title = None
        if " || " in text:  # a press article with its own headline
            title, text = text.split(" || ", 1)
        elif platform in ("news", "blog") or (platform == "reddit" and rng.random() < 0.55) or (platform == "forum" and rng.random() < 0.4):
            titles = for_sector(scenario.titles.get(lang) or phrases.GENERIC_TITLES[lang], brand.sector)
            title = fill(rng.choice(titles), slots, rng)
        extra = [t for t in texts if t is not template]
        if extra and " || " not in template and (platform == "blog" or (title and rng.random() < 0.5)):
            more = [fill(rng.choice(extra), slots, rng) for _ in range(rng.randrange(1, 3))]
            text = " ".join(as_sentence(sentence) for sentence in [text, *more])
        if lang == FR:
            text, title = elide(text), title and elide(title)
        text = self.roughen(text, lang, platform, scenario.sentiment, brand)
        return self.build(platform=platform, person=person, created=created, brand=brand, lang=lang, text=text, title=title,
                          categories=scenario.categories, sentiment=scenario.sentiment, scenario=scenario.name)

    def reply_kind(self, parent: Item) -> str:
        rng = self.rng
        name = parent.scenario
        if name in ("troll", "complaint_rant", "discrimination", "doxxing"):
            return "counter_troll"
        if name.startswith("counterfeit"):
            return "counterfeit_reply"
        if name == "false_information":
            return "debunk_reply"
        if "complaint" in parent.categories:
            return rng.choices(("brand_reply", "me_too", "advice", "ask_more"), (0.45, 0.25, 0.2, 0.1))[0]
        if "positive" in parent.categories or parent.scenario in ("tip", "review_mixed"):
            return rng.choices(("agree", "ask_more", "brand_thanks"), (0.5, 0.3, 0.2))[0]
        return "ask_more"

    def reply(self, parent: Item, kind: str, delay: timedelta) -> Item | None:
        rng = self.rng
        created = parent.created_at + delay
        if created >= self.end:
            return None
        brand = BRANDS[parent.brand]
        lang = parent.lang
        platform = parent.mention["platform"]
        if kind.startswith("brand"):
            main, care = self.brand_accounts[brand.name]
            person = care if platform == "twitter" else main
        elif kind == "follow_up" and parent.depth > 0 and parent.mention.get("parent_id"):
            person = next((i.person for i in self.items if i.mention["id"] == parent.mention["parent_id"]), None) or self.person(lang)
        else:
            person = self.person(lang)
        parent_author = parent.mention["author"]
        slots = self.slots(brand, lang)
        slots["user"] = parent_author.get("handle") or parent_author["name"]
        slots["first"] = parent.person.first if parent.person and parent.person.kind == "person" else ""
        text = fill(rng.choice(for_sector(phrases.REPLIES[kind][lang], brand.sector)), slots, rng)
        if lang == FR:
            text = elide(text)
        if platform in ("twitter", "mastodon", "bluesky") and not text.startswith("@"):
            text = f"@{slots['user']} {text}"
        elif platform not in ("twitter", "mastodon", "bluesky", "instagram"):  # no @handles there
            text = text.removeprefix(f"@{slots['user']} ")
        categories, sentiment = phrases.REPLY_LABELS[kind]
        if not kind.startswith("brand"):
            text = self.roughen(text, lang, platform, sentiment, brand)
        return self.build(platform=platform, person=person, created=created, brand=brand, lang=lang, text=text,
                          categories=categories, sentiment=sentiment, scenario=f"reply_{kind}", parent=parent,
                          watch=list(parent.mention["watch"]), boost=0.3)

    def replies(self, budget: int, roots: list[Item]) -> None:
        rng = self.rng
        parents = [i for i in roots if i.mention["platform"] in CONVERSATIONAL]
        weights = [3.0 if "complaint" in i.categories else 2.0 if i.scenario == "false_information" else 1.0 for i in parents]
        made = attempts = 0
        while made < budget and attempts < budget * 5:
            attempts += 1
            parent = rng.choices(parents, weights)[0]
            kind = self.reply_kind(parent)
            minutes = rng.uniform(20, 360) if kind.startswith("brand") else rng.expovariate(1 / 35)
            item = self.reply(parent, kind, timedelta(minutes=minutes + 0.5))
            if item is None:
                continue
            made += 1
            if kind == "brand_reply" and made < budget and rng.random() < 0.5:
                follow = self.reply(item, "follow_up", timedelta(minutes=rng.uniform(30, 600)))
                made += follow is not None

    # --- the crisis -----------------------------------------------------------------------------------------

    def crisis(self, burst: int, prelude: int, tail: int) -> None:
        rng = self.rng
        brand = BRANDS[CRISIS_BRAND]
        victim = Person("Camille", "Roussel", FR, phrases.CRISIS_VICTIM[0], 2140)
        amplifier = Person(phrases.CRISIS_AMPLIFIER[1], "", FR, phrases.CRISIS_AMPLIFIER[0], 486_000)
        origin = self.build(platform="twitter", person=victim, created=self.start + timedelta(hours=19, minutes=47, seconds=12),
                            brand=brand, lang=FR, text=phrases.CRISIS_ORIGIN_TEXT, categories=("complaint",),
                            sentiment="negative", scenario="crisis_origin", boost=40)
        self.build(platform="twitter", person=victim, created=self.burst_start - timedelta(minutes=35), brand=brand, lang=FR,
                   text=phrases.CRISIS_FOLLOW_UP_TEXT, categories=("complaint",), sentiment="negative",
                   scenario="crisis_follow_up", parent=origin, boost=10)
        trigger = self.build(platform="twitter", person=amplifier, created=self.burst_start + timedelta(minutes=1, seconds=4),
                             brand=brand, lang=FR, text=phrases.CRISIS_AMPLIFIER_TEXT, categories=("complaint",),
                             sentiment="negative", scenario="crisis_amplifier", boost=3, in_crisis_burst=True)
        main, _ = self.brand_accounts[brand.name]
        statement_time = self.burst_start + timedelta(minutes=104)
        for platform, lang in (("twitter", FR), ("instagram", FR), ("facebook", FR), ("twitter", EN)):
            self.build(platform=platform, person=main, created=statement_time + timedelta(seconds=rng.randrange(600)), brand=brand,
                       lang=lang, text=phrases.CRISIS_STATEMENT[lang], categories=("neutral",), sentiment="neutral",
                       scenario="crisis_statement", in_crisis_burst=True)
        # Before the burst: sympathy under the original post, no hashtag yet.
        for _ in range(prelude):
            created = origin.created_at + timedelta(minutes=rng.expovariate(1 / 240) + 1)
            if created >= self.burst_start:
                created = self.burst_start - timedelta(minutes=rng.uniform(1, 600))
            self.crisis_mention(created, in_burst=False, parents=(origin,), hashtag="", allow_copies=False)
        # The burst: fast rise, peak after about half an hour, slow decay.
        for _ in range(burst - 5):
            created = self.burst_start + timedelta(seconds=int(rng.triangular(0, BURST_LENGTH.total_seconds() - 1, 2100)))
            self.crisis_mention(created, in_burst=True, parents=(origin, trigger), hashtag=phrases.CRISIS_HASHTAG, allow_copies=True)
        # After: the press catches up while the outrage fades.
        burst_end = self.burst_start + BURST_LENGTH
        for _ in range(tail):
            created = burst_end + timedelta(seconds=int(rng.expovariate(1 / 3000)) + 1)
            if created >= self.end:
                created = burst_end + timedelta(seconds=rng.randrange(1, int((self.end - burst_end).total_seconds())))
            self.crisis_mention(created, in_burst=False, parents=(trigger,), hashtag=phrases.CRISIS_HASHTAG, allow_copies=False, press=0.15)

    def crisis_mention(self, created: datetime, *, in_burst: bool, parents: tuple[Item, ...], hashtag: str,
                       allow_copies: bool, press: float = 0.015) -> Item:
        rng = self.rng
        brand = BRANDS[CRISIS_BRAND]
        lang = FR if rng.random() < phrases.CRISIS_LANGUAGE_FR else EN
        slots = self.slots(brand, lang, product=phrases.CRISIS_PRODUCT) | {"hashtag": hashtag}
        roll = rng.random()
        if roll < press:
            title, body = rng.choice(phrases.CRISIS_NEWS[lang])
            platform = "news" if rng.random() < 0.7 else "blog"
            return self.build(platform=platform, person=self.writer_for(platform, lang, brand, "news"), created=created, brand=brand,
                              lang=lang, text=fill(body, slots, rng), title=fill(title, slots, rng), categories=("neutral",),
                              sentiment="neutral", scenario="crisis_news", in_crisis_burst=in_burst)
        if allow_copies and roll < press + 0.3:
            prefix = fill(rng.choice(phrases.CRISIS_RT_PREFIXES[lang]), slots, rng)
            # a retweet repeats the text as is; anyone else quotes it
            text = f"{prefix} {phrases.CRISIS_ORIGIN_TEXT}" if prefix.startswith("RT ") else f"{prefix} « {phrases.CRISIS_ORIGIN_TEXT} »"
            text = text.strip()
            if len(text) > 280:
                text = text[:279].rstrip() + "…"
            platform = "twitter" if rng.random() < 0.85 else rng.choice(("bluesky", "mastodon", "facebook"))
            return self.build(platform=platform, person=self.person(lang), created=created, brand=brand, lang=FR, text=text,
                              categories=("complaint",), sentiment="negative", scenario="crisis_copy", in_crisis_burst=in_burst,
                              boost=0.05)
        scenarios = phrases.CRISIS_SCENARIOS
        name, categories, sentiment, _, texts = rng.choices(scenarios, [s[3] for s in scenarios])[0]
        platform = rng.choices(list(CRISIS_PLATFORMS), list(CRISIS_PLATFORMS.values()))[0]
        if name == "crisis_troll" and rng.random() < 0.6:
            person = rng.choice(self.trolls) if rng.random() < 0.5 else self.throwaway(lang)
        else:
            person = self.person(lang)
        text = fill(rng.choice(texts[lang]), slots, rng)
        parent = rng.choice(parents) if platform == "twitter" and rng.random() < 0.4 else None
        if parent is not None and not text.startswith("@"):
            text = f"@{parent.mention['author']['handle']} {text}"
        text = self.roughen(text, lang, platform, sentiment, brand)
        return self.build(platform=platform, person=person, created=created, brand=brand, lang=lang, text=text,
                          categories=categories, sentiment=sentiment, scenario=name, parent=parent, in_crisis_burst=in_burst)

    def throwaway(self, lang: str) -> Person:
        """A brand-new, follower-less account created to pile on."""
        rng = self.rng
        return Person("", "", lang, f"user{rng.randrange(10**7, 10**8)}", rng.randrange(0, 20), kind="troll")

    # --- putting it together --------------------------------------------------------------------------------

    def run(self) -> list[Item]:
        burst = round(self.count * BURST_SHARE)
        tail = round(self.count * CRISIS_TAIL_SHARE)
        prelude = max(1, round(self.count * CRISIS_PRELUDE_SHARE))
        crisis_total = burst + tail + prelude + 2  # + origin and its follow-up (the trigger and statements are in burst)
        replies = round(self.count * REPLY_SHARE)
        roots = self.count - crisis_total - replies
        self.crisis(burst, prelude, tail)
        base = [self.base_root() for _ in range(roots)]
        self.replies(self.count - len(self.items), base)
        while len(self.items) < self.count:  # replies that fell past the window's end are made up with roots
            self.base_root()
        return sorted(self.items, key=lambda i: (i.mention["created_at"], i.mention["id"]))


def _tid(micros: int, clock: int) -> str:
    """An AT Protocol record key: 53 bits of microseconds and 10 bits of clock id in sortable base 32."""
    value = (micros << 10) | clock
    return "".join(BASE32_SORTABLE[(value >> (5 * i)) & 31] for i in reversed(range(13)))


@dataclass(frozen=True)
class Sample:
    mentions: list[dict[str, Any]]
    labels: list[dict[str, Any]]


def generate(seed: int = 7, count: int = DEFAULT_COUNT, start: datetime = START) -> Sample:
    """The sample stream: ``count`` mentions (sorted by ``created_at``) and their labels, always the same for a seed."""
    items = SampleWriter(seed, count, start).run()
    return Sample([i.mention for i in items], [i.label() for i in items])


# --- malformed records --------------------------------------------------------------------------------------

VALID_EXAMPLE: dict[str, Any] = {
    "id": "twitter:1990123456789012345",
    "platform": "twitter",
    "native_id": "1990123456789012345",
    "source": "twitter:rule:aquarelle",
    "author": {"id": "4815162342", "handle": "marion_dbs", "name": "Marion Dubois", "followers": 312},
    "text": "@aquarelle toujours pas reçu ma commande AQ-481516, ça fait 12 jours",
    "language": "fr",
    "url": "https://x.com/marion_dbs/status/1990123456789012345",
    "created_at": "2026-11-16T14:02:11Z",
    "metrics": {"likes": 3, "shares": 0, "replies": 1, "views": 210},
    "watch": ["Aquarelle"],
}


def _json(**changes: Any) -> str:
    record = {k: v for k, v in (VALID_EXAMPLE | changes).items() if v is not _DROP}
    return orjson.dumps(record).decode()


_DROP = object()
_AUTHOR = VALID_EXAMPLE["author"]
_METRICS = VALID_EXAMPLE["metrics"]

# (why parse_mention must reject it, the raw line)
MALFORMED_CASES: tuple[tuple[str, str], ...] = (
    ("not JSON at all: a bare sentence", "Aquarelle toujours pas reçu ma commande"),
    ("truncated JSON: the line was cut mid-object", _json()[:120]),
    ("a JSON array holding a mention instead of an object", "[" + _json() + "]"),
    ("a JSON string instead of an object", orjson.dumps(_json()).decode()),
    ("JSON null", "null"),
    ("a line of whitespace only", "   "),
    ("Python dict repr (single quotes), not JSON", repr({"id": "twitter:1", "platform": "twitter", "text": "hello"})),
    ("trailing comma after the last member", _json()[:-1] + ",}"),
    ("missing text", _json(text=_DROP)),
    ("blank text (whitespace only)", _json(text=" \t ")),
    ("text is a number, not a string", _json(text=42)),
    ("id does not match platform:native_id", _json(id="twitter:1990000000000000000")),
    ("unknown platform", _json(id="tiktok:1990123456789012345", platform="tiktok")),
    ("created_at is not a date", _json(created_at="hier soir")),
    ("created_at missing", _json(created_at=_DROP)),
    ("negative followers", _json(author=_AUTHOR | {"followers": -12})),
    ("author missing", _json(author=_DROP)),
    ("author id empty", _json(author=_AUTHOR | {"id": ""})),
    ("url is not http(s)", _json(url="www.x.com/marion_dbs/status/1990123456789012345")),
    ("url with a javascript: scheme", _json(url="javascript:alert(1)")),
    ("negative like count", _json(metrics=_METRICS | {"likes": -3})),
    ("views is a word, not a number", _json(metrics=_METRICS | {"views": "beaucoup"})),
    ("native_id empty", _json(id="twitter:", native_id="")),
    ("watch is a number, not a list of names", _json(watch=7)),
)


def malformed_lines() -> list[str]:
    """The malformed records, checked: each one must be rejected by :func:`parse_mention`."""
    lines = []
    for reason, line in MALFORMED_CASES:
        try:
            parse_mention(line)
        except InvalidMention:
            lines.append(line)
        else:
            raise AssertionError(f"malformed case accepted by parse_mention: {reason}")
    return lines


def dump_jsonl(records: Sequence[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def write_sample(out: Path, seed: int = 7, count: int = DEFAULT_COUNT) -> tuple[Path, Path, Path]:
    """Write mentions to ``out`` and labels.jsonl and malformed.jsonl next to it; every mention is validated first."""
    sample = generate(seed, count)
    for mention in sample.mentions:
        Mention.model_validate(mention)
    out.parent.mkdir(parents=True, exist_ok=True)
    labels_path, malformed_path = out.with_name("labels.jsonl"), out.with_name("malformed.jsonl")
    out.write_bytes(dump_jsonl(sample.mentions))
    labels_path.write_bytes(dump_jsonl(sample.labels))
    malformed_path.write_text("".join(line + "\n" for line in malformed_lines()), encoding="utf-8")
    return out, labels_path, malformed_path


def main(
    out: Annotated[Path, typer.Option(help="where to write mentions.jsonl; labels.jsonl and malformed.jsonl go next to it")] = DEFAULT_OUT,
    seed: Annotated[int, typer.Option(help="same seed, same bytes")] = 7,
    count: Annotated[int, typer.Option(help="number of mentions (the crisis scales with it)")] = DEFAULT_COUNT,
) -> None:
    """Write the sample stream, its labels and the malformed records."""
    for path in write_sample(out, seed, count):
        typer.echo(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    typer.run(main)
