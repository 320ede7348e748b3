"""The ranking's weights and thresholds (`bot.agent.ranking`): one place to read what a word, a
synonym, a fitting value or a similarity is worth, shared by the ranking and the choice by values
(`bot.agent.by_values`)."""

from __future__ import annotations

WORD_POINTS = 2.0  # a word of the tool's name or one of its keywords
SYNONYM_POINTS = 2.0  # a synonym of one of those (`lexicon.SYNONYMS`): "bounce" for "restart"
DESCRIPTION_POINTS = 1.0  # a content word of the summary line
DESCRIPTION_CAP = 2.0
MISSING_REQUIRED_PENALTY = 1.0  # a required parameter nothing in the request can fill
MIN_SCORE = 2.0  # below this a tool is not a candidate
CLEAR_MARGIN = 2.0  # a top score this far ahead of the next needs no model
ACKNOWLEDGEMENT_SCORE = 3.0  # a message opening with thanks needs more than one stray word
MAX_CANDIDATES = 3  # what the model is shown, plus "none"
CHOICE_TOKENS = 48  # `{"tool": "dns_lookup"}` with llama.cpp's whitespace is ~20 tokens
# By meaning (`bot.agent.meaning`): cosine similarities of all-MiniLM-L6-v2 between the request and
# "tool name: description"; unrelated pairs sit around 0.0-0.25, paraphrases of a tool's action 0.3-0.6.
SIMILARITY_POINTS = 8.0  # per unit of similarity above the floor
SIMILARITY_FLOOR = 0.15
MIN_SIMILARITY = 0.30  # a tool found by meaning alone
SIMILARITY_TIE = 0.03  # ... must be this close to the best
ACTION_SIMILARITY = 0.22  # a write found by meaning must be the closest tool and at least this close
ACTION_POINTS = 2.0  # a write whose own action word stands in an order's verb place
