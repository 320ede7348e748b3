"""Issue 19: a noun written as a verb and its particle in one word, said as the phrasal verb ("lock
down the yard" for `start_lockdown`); a bracket that defines a value ("drill (a rehearsal)"); a
value of several words named by one of its parts only when that part stands for it; a longer
alias over the one inside it; "put it on <value>"; and follow-ups: a figure led by the word that
led it before, a value said by its alias, consent to an offer that lacks a value; "skip the cure"
for a 0 that leaves it out; a flag's object told elsewhere; verb twins. The real guided
planner and sentence encoder, on tools made up for these tests (a boatyard's security, a dog
show, a pottery's kilns, a bindery, a print shop); the small model is never asked. Each test was
checked to fail without the rule it names, but the verb twins' guard, which says so."""

from __future__ import annotations

from chatops.bot.model import Plan
from tests.test_understanding import calls, plan, runbook

YARD = {"type": "enum", "values": ["east", "west"], "description": "The yard: east or west"}
BOATYARD = [
    runbook("start_lockdown", "Start a lockdown of a boatyard: the gates lock and the sirens sound.", "write",
            {"yard": YARD,
             "reason": {"type": "enum", "values": ["trespass", "outside_threat", "drill"],
                        "description": "trespass (someone in the yard who should not be), "
                                       "outside_threat (the police advise it), drill (a rehearsal)"}}),
    runbook("yards", "List the boatyards: gates, sirens, any lockdown in progress.", "read", {"yard": YARD}),
]


async def test_a_phrasal_verb_says_the_noun_written_in_one_word() -> None:
    """ "lock down the east yard" starts `start_lockdown`'s lockdown: asked for its reason, never
    left with no tool, and never a read of the yards."""
    outcome = await plan("lock down the east yard now", BOATYARD)
    assert not isinstance(outcome, Plan), outcome
    assert "start_lockdown" in outcome.text and "reason" in outcome.text, outcome.text
    assert calls(await plan("lock down the east yard now, it's a drill", BOATYARD)) == \
        [("start_lockdown", {"yard": "east", "reason": "drill"})]


async def test_a_phrasal_verb_takes_a_value_of_several_words_for_its_object() -> None:
    """ "lock down st oswald's" (`st_oswalds`): the object after "lock down" is a value of two words."""
    tools = [runbook("start_lockdown", "Start a lockdown of a boatyard: the gates lock and the sirens sound.",
                     "write", {"yard": {"type": "enum", "values": ["st_oswalds", "kings_reach"],
                                        "description": "The yard"},
                               "reason": {"type": "enum", "values": ["trespass", "drill"],
                                          "description": "trespass or drill"}})]
    assert calls(await plan("lock down st oswald's now, it's a drill", tools)) == \
        [("start_lockdown", {"yard": "st_oswalds", "reason": "drill"})]


async def test_a_bracket_of_one_short_phrase_defines_its_value() -> None:
    """ "drill (a rehearsal)" makes "rehearsal" name `drill`, though `reason` is required."""
    assert calls(await plan("the west yard wants its lockdown rehearsal now, start it", BOATYARD)) == \
        [("start_lockdown", {"yard": "west", "reason": "drill"})]


async def test_a_part_that_describes_another_thing_names_no_value() -> None:
    """ "the outside gates" says which gates, and names no `outside_threat`: the reason is asked."""
    outcome = await plan("start a lockdown of the east yard and lock the outside gates", BOATYARD)
    assert not isinstance(outcome, Plan), outcome
    assert "reason" in outcome.text, outcome.text


SHOW = [
    runbook("withdraw_dog", "Withdraw a dog from a class at the show: it is taken off the catalogue.", "write",
            {"ring": {"type": "int", "min": 1, "max": 20, "description": "Ring number"},
             "card": {"type": "int", "min": 1, "max": 20, "description": "The dog's number in that class"}}),
    runbook("cancel_class", "Cancel a class in a ring: every entry in it is refunded.", "danger",
            {"ring": {"type": "int", "min": 1, "max": 12, "description": "Ring number"},
             "reason": {"type": "enum", "values": ["weather", "judge_absent", "other"],
                        "description": "weather, judge_absent, other"}}),
    runbook("rings", "List the show's rings and the classes being judged in each.", "read", {}),
]


async def test_a_follow_up_figure_goes_where_the_same_word_led_it_before() -> None:
    """ "same for number 14" after "withdraw number 9 from ring 3" changes the card, never the ring."""
    from chatops.bot.model import Step, StepStatus

    earlier = [Plan(goal="withdraw", steps=[Step(tool="withdraw_dog", args={"ring": 3, "card": 9},
                                                 risk="write", status=StepStatus.succeeded)])]
    history = [{"role": "user", "text": "withdraw number 9 from ring 3, it's gone lame"},
               {"role": "bot", "text": "withdraw_dog ran"}]
    assert calls(await plan("same for number 14", SHOW, earlier=earlier, history=history)) == \
        [("withdraw_dog", {"ring": 3, "card": 14})]


async def test_consent_to_an_offer_that_lacks_a_value_asks_for_it() -> None:
    """ "ok do it" to an offer of `cancel_class` that gave no reason asks for the reason, by name."""
    history = [{"role": "user", "text": "ring 4 is a shambles, cancel ring 4?"},
               {"role": "bot", "text": "cancel_class would refund every entry in ring 4. Want me to?"}]
    outcome = await plan("ok do it", SHOW, history=history)
    assert not isinstance(outcome, Plan), outcome
    assert "cancel_class" in outcome.text and "reason" in outcome.text, outcome.text


KILN = {"pattern": "^C[0-9]$", "description": "Kiln id, e.g. C3"}
POTTERY = [
    runbook("firing_program", "Put a pottery kiln on another firing program from its next segment.", "write",
            {"kiln": KILN,
             "program": {"type": "enum", "values": ["bisque", "glaze_low", "glaze_high"],
                         "aliases": {"low glaze": "glaze_low", "earthenware glaze": "glaze_low",
                                     "stoneware glaze": "glaze_high", "glaze": "glaze_low",
                                     "cone 6": "glaze_high"}}}),
    runbook("kiln_log", "Show a pottery kiln's temperatures and segments over the last hours.", "read",
            {"kiln": KILN}),
]


async def test_a_longer_alias_beats_the_one_inside_it() -> None:
    """ "stoneware glaze" names `glaze_high`, not the `glaze_low` of its "glaze"."""
    assert calls(await plan("C3 has stoneware glaze in it, change its program", POTTERY)) == \
        [("firing_program", {"kiln": "C3", "program": "glaze_high"})]


async def test_put_on_a_listed_value_asks_for_the_change_that_takes_it() -> None:
    """ "put it on cone 6" moves the kiln to `glaze_high`: the change, not a read of its log."""
    assert calls(await plan("C2 is loaded with mugs, put it on cone 6", POTTERY)) == \
        [("firing_program", {"kiln": "C2", "program": "glaze_high"})]


async def test_a_follow_up_that_says_a_value_by_its_alias_changes_that_value() -> None:
    """ "actually earthenware glaze" after proposing bisque for C2: the same change with `glaze_low`."""
    from chatops.bot.model import Step

    earlier = [Plan(goal="program", steps=[Step(tool="firing_program", args={"kiln": "C2", "program": "bisque"},
                                                risk="write")])]
    assert calls(await plan("actually earthenware glaze", POTTERY, earlier=earlier)) == \
        [("firing_program", {"kiln": "C2", "program": "glaze_low"})]


PRESS = {"pattern": "^L[0-9]$", "description": "Line id, e.g. L2"}
BINDERY = [
    runbook("pause_line", "pause a binding line: the covers stay loaded but the line does not feed when the "
            "block is ready. the pause ends by itself after the given minutes", "write",
            {"line": PRESS, "minutes": {"type": "int", "min": 0, "max": 120, "default": 15,
                                        "description": "minutes paused; 0 = until someone resumes it"}}),
    runbook("resume_line", "resume a binding line: the pause ends and the line feeds when the block is ready",
            "write", {"line": PRESS}),
    runbook("glue_line", "Start a glue run on a binding line, then a cure of the given minutes.", "write",
            {"line": PRESS,
             "cure_minutes": {"type": "int", "min": 0, "max": 60, "default": 15,
                              "description": "Minutes of curing after the run; 0 means no curing at all"},
             "call_supervisor": {"type": "bool", "default": True,
                                 "description": "Also call the shift supervisor to the line"}}),
]


async def test_skipping_the_thing_a_zero_leaves_out_sets_zero() -> None:
    """ "skip the cure" where "0 means no curing at all": `cure_minutes` 0."""
    assert calls(await plan("start a glue run on L3, skip the cure", BINDERY)) == \
        [("glue_line", {"line": "L3", "cure_minutes": 0})]


async def test_a_flag_s_object_told_in_the_rest_does_not_keep_it_on() -> None:
    """ "the supervisor's already here, don't call them": `call_supervisor` off; the supervisor
    named in the rest is no order to call."""
    assert calls(await plan("start a glue run on L3. supervisor's already here, don't call them", BINDERY)) == \
        [("glue_line", {"line": "L3", "call_supervisor": False})]


JOB = {"pattern": "^J-[0-9]{4}$", "description": "print job id e.g. J-0412"}
PRINT_SHOP = [
    runbook("hold_job", "hold a print job: the paper stays loaded but the printer does not start when the job "
            "is ready. the hold ends by itself after the given minutes", "write",
            {"job": JOB, "minutes": {"type": "int", "min": 0, "max": 180, "default": 15,
                                     "description": "minutes held; 0 = held until someone releases it"}}),
    runbook("release_job", "release a print job: the hold ends and the printer starts when the job is ready",
            "write", {"job": JOB}),
    runbook("cancel_job", "cancel a print job: every sheet printed so far is binned", "danger", {"job": JOB}),
    runbook("printers", "list the printers and the jobs on them", "read", {}),
]


async def test_a_change_and_its_verb_twin_are_never_chosen_by_values_alone() -> None:
    """ "J-0412 can go when it's ready" names no verb of `hold_job` or `release_job`, which take
    the same job: whichever meaning leans to, neither is proposed by its values. A guard: it passes
    without `twin_changes.verb_twin` too (the rule was measured on final24's "1203-CTY2 can run
    when it's ready", where `by_values` chose the hold by meaning, a wrong write)."""
    outcome = await plan("proofs are signed off, J-0412 can go when it's ready", PRINT_SHOP)
    assert not isinstance(outcome, Plan) or all(step.tool not in ("hold_job", "release_job")
                                                 for step in outcome.steps), outcome
