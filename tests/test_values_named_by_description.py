"""Issue 19: a required enum value named by a short form of the definite description its
parameter's description gives it ("the north kiln" for "k2 (the north gas kiln)"), on tools made up
for these tests (the real guided planner, the real sentence encoder; the small model is never
asked)."""

from __future__ import annotations

from chatops.bot.agent.glossed_values import described_by_gloss
from tests.test_understanding import calls, plan, runbook

_KILNS = {"type": "enum", "values": ["k1", "k2", "k3"],
          "description": "Kiln: k1 (the small electric kiln by the door), k2 (the north gas kiln), "
                         "k3 (the big gas kiln in the yard)"}

KILN_TOOLS = [
    runbook("kiln_status", "Show each pottery kiln: its firing stage, temperature, cone and whether it is "
            "firing, cooling or idle", "read", {}),
    runbook("hold_kiln", "Hold a kiln at its current temperature so the firing schedule stops advancing",
            "write", {"kiln": _KILNS}),
    runbook("release_kiln", "Let a held kiln carry on with its firing schedule", "write", {"kiln": _KILNS}),
]

_PROP = {"enum": ["k1", "k2", "k3"], "description": _KILNS["description"]}


async def test_a_value_said_by_its_description_fills_the_parameter() -> None:
    """ "the north kiln" is k2 and "the yard kiln" k3: the team says what the value is, not its
    name, and asking "which kiln?" when the request says it wastes a turn (the action then beats
    the read whose description shares the state words)."""
    assert calls(await plan("hold the north kiln, we're still loading the top shelf", KILN_TOOLS)) == \
        [("hold_kiln", {"kiln": "k2"})]
    assert calls(await plan("hold the yard kiln", KILN_TOOLS)) == [("hold_kiln", {"kiln": "k3"})]


def test_only_a_short_form_with_a_word_of_its_own_names_a_value() -> None:
    """A word every kiln's gloss has ("the gas kiln" is k2 or k3) or the shared noun alone names
    none; a word of a gloss away from the noun ("the kiln by the north wall") names none; a denied
    clause names none; the whole gloss still does."""
    assert described_by_gloss(_PROP, "hold the north kiln") == "k2"
    assert described_by_gloss(_PROP, "hold the north gas kiln") == "k2"
    assert described_by_gloss(_PROP, "hold the electric kiln") == "k1"
    assert described_by_gloss(_PROP, "hold the gas kiln") is None
    assert described_by_gloss(_PROP, "hold the kiln") is None
    assert described_by_gloss(_PROP, "hold the kiln by the north wall") is None
    assert described_by_gloss(_PROP, "not the north kiln") is None
    assert described_by_gloss(_PROP, "hold the north kiln and the yard kiln") is None  # two: a listed tie


def test_examples_name_no_required_value() -> None:
    """A gloss that gives alternatives ("cause: mech (the belt or the motor), …") lists examples,
    not one thing: a required value is never guessed from it."""
    prop = {"enum": ["mech", "elec"],
            "description": "Cause: mech (the belt or the motor), elec (the fuse or the panel)"}
    assert described_by_gloss(prop, "stop it, the belt snapped") is None
    assert described_by_gloss(prop, "the motor") is None
