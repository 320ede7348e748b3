"""The transcript's vocabulary correction (`bot.perception.correction`) on its own: which spans
it re-spells as a configured term, and, as much, which it must leave alone, across several
vocabularies (an eval config's derived glossary, operators' lists, a large machine-made one)."""

from __future__ import annotations

import re

import pytest

from chatops.bot.perception.correction import VocabularyCorrector, similarity, spoken_letters
from chatops.bot.perception.glossary import is_english

OPS_TEAM = ["postgresql", "worker3", "db2", "payments-api", "kubelet", "haproxy", "grafana", "mysql", "queue2",
            "consul", "kafka", "argocd"]
DERIVED = ["nginx", "api", "worker", "scheduler", "redis", "postgresql", "A", "AAAA", "CNAME", "MX", "TXT", "NS",
           "GET", "HEAD"]  # what bot.perception.glossary derives from bench/data/eval.toml
MACHINE = [f"svc_{a}{b}_x_{n}" for a in "abcdefgh" for b in "xyz" for n in range(1, 4)]  # 72 made-up names
VOCABULARIES = {"ops team": OPS_TEAM, "derived": DERIVED, "machine": MACHINE,
                "all": [*OPS_TEAM, *DERIVED, *MACHINE]}

PLAIN = [
    "The council meets in the town hall on Tuesday.",
    "We visited an old castle by the sea last summer.",
    "Could you book a table for four people at seven tonight?",
    "My daughter starts school again next Monday.",
    "Roll back the payments deployment to revision 41.",
    "I will be late for the meeting because my train was cancelled.",
    "A cat sat on the mat, and then it went to the kitchen.",
    "Please send me the quarterly report by Friday afternoon.",
    "The worker on the night shift fixed the heater.",
]


@pytest.mark.parametrize(("vocabulary", "heard", "written"), [
    (["postgresql"], "Restart, post-resql, on db2.", "Restart, postgresql, on db2."),
    (["postgresql"], "restart post resql now", "restart postgresql now"),
    (["worker3"], "The kubelet-on-worker-free-keep, evicting pods.", "The kubelet-on worker3 keep, evicting pods."),
    (["kubelet"], "the kube let on node one", "the kubelet on node one"),
    (["kubelet"], "the cube-let on node one", "the kubelet on node one"),
    (["mysql"], "It is my SQL replication.", "It is mysql replication."),
    (["db2"], "open the console on db 2", "open the console on db2"),
    (["payments-api"], "errors on the payments api today", "errors on the payments-api today"),
    (["payments-api"], "status for payment-api.", "status for payments-api."),
    (["argocd"], "the build for argoc failed", "the build for argocd failed"),
    (OPS_TEAM, "restart post-resql on db 2 and the kube let", "restart postgresql on db2 and the kubelet"),
    (["postgres", "postgresql"], "postgres ql is down", "postgresql is down"),
])
def test_a_misheard_term_is_spelled_as_configured(vocabulary: list[str], heard: str, written: str) -> None:
    text, corrections = VocabularyCorrector(vocabulary).correct(heard)
    assert text == written
    assert corrections and all(c.term in vocabulary for c in corrections)
    assert all(c.heard and c.heard in heard for c in corrections)


def test_two_ordinary_words_need_a_near_exact_fit() -> None:
    """"cube let" is two English words: kubelet (0.93) is not close enough to rewrite them, while
    Whisper's own gluing ("cube-let") says it heard one unknown word, and is re-spelled."""
    corrector = VocabularyCorrector(["kubelet"])
    assert corrector.correct("the cube let on node one")[1] == []
    assert corrector.correct("the cube-let on node one")[0] == "the kubelet on node one"


@pytest.mark.parametrize("name", VOCABULARIES)
@pytest.mark.parametrize("sentence", PLAIN)
def test_plain_speech_is_left_as_heard(name: str, sentence: str) -> None:
    """Everyday words near a term ("council" / consul, "castle" / kafka, "payments" /
    payments-api, "a" / A) stay: ordinary English needs a near-exact fit."""
    assert VocabularyCorrector(VOCABULARIES[name]).correct(sentence) == (sentence, [])


@pytest.mark.parametrize("name", VOCABULARIES)
def test_no_term_outside_the_vocabulary_is_ever_written(name: str) -> None:
    """Whatever it rewrites, every new word is a word of a configured term."""
    vocabulary = VOCABULARIES[name]
    allowed = {w for term in vocabulary for w in re.findall(r"[a-z0-9]+", term.lower())}
    heard = [*PLAIN, "restart post-resql on db 2", "the grafana dashboard", "check haproxy and grafena",
             "the cube let is down on worker free", "tail the engine x logs", "kubectl logout status"]
    for sentence in heard:
        text, corrections = VocabularyCorrector(vocabulary).correct(sentence)
        before = set(re.findall(r"[a-z0-9]+", sentence.lower()))
        new = set(re.findall(r"[a-z0-9]+", text.lower())) - before
        assert new <= allowed, (sentence, text)
        assert all(c.term in vocabulary for c in corrections)


def test_a_term_already_spoken_right_is_kept_as_said() -> None:
    corrector = VocabularyCorrector(["postgresql", "Payments-API"])
    assert corrector.correct("Postgresql and Payments-API are up") == ("Postgresql and Payments-API are up", [])


def test_short_terms_only_match_exactly() -> None:
    """DNS record types and "api" are one or two edits from many words ("a", "at", "apt")."""
    corrector = VocabularyCorrector(["A", "MX", "NS", "api"])
    for sentence in ("a max of ten", "the apt is on the news", "an ape at the zoo"):
        assert corrector.correct(sentence) == (sentence, [])


def test_addresses_are_written_as_said() -> None:
    corrector = VocabularyCorrector(["web1", "payments-api", "postgresql"])
    for sentence in ("check http://web-1.example.com:8080/health now", "mail ops@payment-api.example.com",
                     "open http://post-resql.internal:5432/"):
        assert corrector.correct(sentence) == (sentence, [])


def test_an_empty_vocabulary_changes_nothing() -> None:
    corrector = VocabularyCorrector([])
    assert not corrector
    assert corrector.correct("restart post-resql on db two") == ("restart post-resql on db two", [])


def test_sentences_are_not_merged() -> None:
    """A span never reaches across a full stop: "post. Resql" are two sentences' words."""
    assert VocabularyCorrector(["postgresql"]).correct("It was the post. Resql came later.")[1] == []


def test_the_best_overlapping_match_wins() -> None:
    text, corrections = VocabularyCorrector(["kubelet", "kubectl"]).correct("the kube let and the kube control")
    assert text.startswith("the kubelet and")
    assert corrections[0].term == "kubelet"


def test_spoken_letters_and_similarity() -> None:
    assert spoken_letters("Worker-3") == "workerthree"
    assert spoken_letters("db 2") == spoken_letters("db2") == "dbtwo"
    assert similarity("postresql", "postgresql") > 0.85
    assert similarity("council", "consul") < 0.95 <= similarity("consul", "consul")
    assert is_english("council") and not is_english("worker-free") and not is_english("db2")


def test_a_long_transcript_with_a_large_vocabulary() -> None:
    """Three minutes of speech (~450 words) against a hundred terms: corrected, nothing else moved."""
    corrector = VocabularyCorrector([*VOCABULARIES["all"], *(f"host{n}" for n in range(20))])
    speech = " ".join(PLAIN * 5 + ["restart post-resql on db 2."] + PLAIN * 5)
    text, corrections = corrector.correct(speech)
    assert [c.term for c in corrections] == ["postgresql", "db2"]
    assert text == speech.replace("post-resql on db 2", "postgresql on db2")
