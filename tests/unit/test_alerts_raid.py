"""Troll-raid verdict on hand-built spikes: copy-paste from tiny new accounts → raid; varied established → organic."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from pipeline.alerts.raid import SpikeMention, near_duplicate_groups, normalise_text, raid_verdict
from pipeline.mention import Mention

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)

RAID_TEMPLATE = "Acme is a SCAM, they stole my money!!! Never buy from @acme #boycottacme"
VARIED = [
    "Just got my acme blender, the soup function is surprisingly good",
    "acme support took 3 days to answer me, not great",
    "Has anyone tried the new acme firmware? battery seems worse",
    "Watching the acme keynote, the price of the pro model is steep",
    "My acme order arrived a day early, nice packaging too",
    "Why does the acme app log me out every morning",
    "Comparing acme and globex kettles for my parents, any advice?",
    "The acme store in Lyon has the best staff honestly",
    "acme recall news: is my model concerned? serial starts with 44",
    "Returned my acme headphones, the left ear crackles",
    "Acme's new ad campaign is everywhere on the metro",
    "I love how quiet the acme dishwasher is",
    "Thread: everything wrong with acme's warranty terms",
    "acme delivered the wrong colour, exchange was painless though",
    "Does acme ship to Belgium? their site says nothing",
    "My grandmother still uses her 1998 acme radio",
    "acme customer service hung up on me twice today",
    "New acme phone case feels cheap compared to the old one",
    "Is the acme outlet sale worth it this weekend",
    "acme's sustainability report is out, numbers look decent",
    "Just unboxed the acme drone, setup took five minutes",
    "Why is acme charging for the charger now?",
    "acme smart plug stopped working after the update",
    "Shoutout to the acme rep who fixed my invoice",
]


def raid_spike(count: int = 40) -> list[SpikeMention]:
    rng = random.Random(3)
    mentions = []
    for i in range(count):
        text = RAID_TEMPLATE if i % 3 else RAID_TEMPLATE.replace("stole", "STOLE") + f" https://t.co/x{i}"
        mentions.append(SpikeMention(
            id=f"twitter:{i}", text=text, author_id=f"bot{i}", followers=rng.randint(0, 8),
            account_created_at=NOW - timedelta(days=rng.randint(1, 10)),
            created_at=NOW - timedelta(seconds=rng.randint(0, 90)),
        ))
    return mentions


def organic_spike(count: int = len(VARIED)) -> list[SpikeMention]:
    rng = random.Random(5)
    return [
        SpikeMention(
            id=f"twitter:{i}", text=VARIED[i], author_id=f"user{i}",
            followers=rng.randint(150, 20_000), account_created_at=NOW - timedelta(days=rng.randint(400, 3000)),
            created_at=NOW - timedelta(minutes=rng.randint(0, 90)),
        )
        for i in range(count)
    ]


def test_alerts_raid_copy_paste_from_tiny_new_accounts_is_a_raid():
    result = raid_verdict(raid_spike(), NOW)
    assert result.verdict == "troll_raid"
    assert result.evidence.duplicate_share == 1.0
    assert result.evidence.new_account_share == 1.0
    assert set(result.evidence.signals) == {"copy-paste", "new or tiny accounts", "synchronised timing"}
    assert "coordinated raid" in result.explanation()


def test_alerts_raid_varied_texts_from_established_accounts_is_organic():
    result = raid_verdict(organic_spike(), NOW)
    assert result.verdict == "organic"
    assert result.evidence.new_account_share == 0.0
    assert result.evidence.signals == ()
    assert result.explanation().startswith("Looks organic")


def test_alerts_raid_shared_headline_from_established_accounts_stays_organic():
    headline = "Acme recalls 2 million kettles over fire risk https://news.example/acme-recall"
    spike = [SpikeMention(m.id, headline if i % 2 else m.text, m.author_id, m.created_at, m.followers, m.account_created_at)
             for i, m in enumerate(organic_spike())]
    result = raid_verdict(spike, NOW)
    assert "copy-paste" in result.evidence.signals
    assert result.verdict == "organic"


def test_alerts_raid_unknown_account_facts_need_the_other_two_signals():
    unknown = [SpikeMention(m.id, m.text, m.author_id, m.created_at) for m in raid_spike()]
    result = raid_verdict(unknown, NOW)
    assert result.evidence.new_account_share is None and result.evidence.accounts_known == 0
    assert result.verdict == "troll_raid"
    assert "unknown" in result.explanation()


def test_alerts_raid_one_author_repeating_itself_is_not_copy_paste():
    spam = [SpikeMention(f"twitter:{i}", RAID_TEMPLATE, "same-author", NOW - timedelta(hours=i), 5000,
                         NOW - timedelta(days=900)) for i in range(12)]
    result = raid_verdict(spam, NOW)
    assert result.evidence.duplicate_share == 0.0 and result.evidence.largest_cluster == 12
    assert result.verdict == "organic"


def test_alerts_raid_too_few_mentions_gives_no_verdict():
    result = raid_verdict(raid_spike(4), NOW)
    assert result.verdict is None and result.evidence.mentions == 4


def test_alerts_raid_near_duplicates_group_despite_handles_links_and_case():
    texts = [
        "Acme is a scam, never buy! @bob https://t.co/1",
        "ACME is a SCAM never buy @alice https://t.co/2",
        "acme is a scam... never buy!!",
        "I am very happy with my acme vacuum cleaner",
    ]
    groups = sorted(near_duplicate_groups(texts, 0.6), key=len, reverse=True)
    assert sorted(groups[0]) == [0, 1, 2] and groups[1] == [3]
    assert normalise_text("Éclair @x https://a.b/c 123 !!") == "eclair"


def test_alerts_raid_spike_mention_from_mention_keeps_author_facts():
    mention = Mention(platform="twitter", native_id="9", source="search", text="acme scam",
                      author={"id": "u1", "followers": 3}, created_at=NOW)
    spike = SpikeMention.from_mention(mention, account_created_at=NOW - timedelta(days=2))
    assert (spike.id, spike.author_id, spike.followers) == ("twitter:9", "u1", 3)


def test_alerts_raid_sketches_estimate_similarity_without_the_texts():
    from pipeline.alerts.raid import near_duplicate_groups_of_sketches, sketch_similarity, text_sketch

    texts = ["Acme is a scam, never buy! @bob https://t.co/1", "ACME is a SCAM never buy @alice https://t.co/2",
             RAID_TEMPLATE, RAID_TEMPLATE + " please share", *VARIED[:6]]
    sketches = [text_sketch(text) for text in texts]
    assert all(len(sketch) == 64 for sketch in sketches) and text_sketch("!!! 123") == ""
    assert sketch_similarity(sketches[0], sketches[1]) == 1.0  # the same once links, handles and case are gone
    assert sketch_similarity(sketches[2], sketches[3]) >= 0.6 and sketch_similarity(sketches[0], sketches[4]) < 0.3
    groups = sorted(sorted(group) for group in near_duplicate_groups_of_sketches(sketches, 0.6))
    assert [0, 1] in groups and [2, 3] in groups and len(groups) == 2 + 6
