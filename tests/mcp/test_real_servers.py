"""`mcp-server-git` and `mcp-server-time` from PyPI, run as stdio servers behind the bot's own
approvals: what the servers' annotations say decides what runs at once and who must approve."""

from __future__ import annotations

from chatops.bot.model import Decision, PlanStatus, StepStatus
from tests.mcp.conftest import BIN, ROLES, git, person


def git_server(repo) -> dict:
    return {"name": "git", "command": str(BIN / "mcp-server-git"), "args": ["--repository", str(repo)],
            "roles": ["oncall"], "timeout": 20}


async def test_git_tools_run_by_risk_commit_waits_for_approval_and_reset_needs_a_second_person(mcp_bot, repo):
    bot, runtime = await mcp_bot(git_server(repo), roles=ROLES)
    specs = {spec.name: spec for spec in runtime.registry.specs() if spec.source == "mcp:git"}
    assert {specs["git_status"].risk.value, specs["git_commit"].risk.value, specs["git_reset"].risk.value} == {
        "read", "write", "danger"}
    assert specs["git_reset"].risk_reason == "annotation destructiveHint: true"

    # read: runs at once, no card to approve
    await bot.say(f"!git_status repo_path={repo}", user=person("alice"))
    plan = bot.of_type("plan")[-1]
    assert plan.needs_approval is False
    assert "nothing to commit" in bot.of_type("answer")[-1].text

    # write: proposed, nothing happens until someone allowed approves; then git itself shows it
    (repo / "notes.txt").write_text("on call notes\n")
    git(repo, "add", "notes.txt")
    await bot.say(f'!git_commit repo_path={repo} message="add on-call notes"', user=person("alice"))
    plan = bot.of_type("plan")[-1]
    assert plan.needs_approval and plan.steps[0].tool == "git_commit"
    assert git(repo, "log", "--format=%s").splitlines() == ["first"]
    outcome = await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=person("bob"), source="test"))
    assert outcome.accepted
    assert git(repo, "log", "--format=%s").splitlines() == ["add on-call notes", "first"]
    assert (await bot.store.get_plan(plan.id)).status is PlanStatus.succeeded

    # danger: the requester cannot approve their own reset; another on-call person can
    (repo / "scratch.txt").write_text("half-done\n")
    git(repo, "add", "scratch.txt")
    await bot.say(f"!git_reset repo_path={repo}", user=person("alice"))
    plan = bot.of_type("plan")[-1]
    assert plan.steps[0].risk.value == "danger"
    refused = await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=person("alice"), source="test"))
    assert not refused.accepted and "other than the requester" in refused.reason
    assert git(repo, "diff", "--cached", "--name-only").split() == ["scratch.txt"]
    approved = await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=person("bob"), source="test"))
    assert approved.accepted
    assert git(repo, "diff", "--cached", "--name-only").split() == []

    # roles = ["oncall"]: someone outside the role may not even ask
    await bot.say(f"!git_status repo_path={repo}", user=person("carol"))
    assert "may be requested only by: oncall" in bot.of_type("answer")[-1].text


async def test_arguments_are_checked_against_the_input_schema_before_anyone_is_asked(mcp_bot, repo):
    bot, _ = await mcp_bot(git_server(repo), roles=ROLES)

    await bot.say(f"!git_commit repo_path={repo}", user=person("alice"))  # no message

    assert bot.of_type("plan") == []
    answer = bot.of_type("answer")[-1].text
    assert "could not run" in answer and "message: Field required" in answer


async def test_mcp_server_time_answers(mcp_bot):
    server = {"name": "time", "command": str(BIN / "mcp-server-time"), "args": ["--local-timezone", "UTC"]}
    bot, runtime = await mcp_bot(server)
    spec = runtime.registry.get("time_get_current_time")
    assert spec is not None and spec.risk.value == "read" and spec.source == "mcp:time"

    await bot.say("!time_get_current_time timezone=Europe/Paris")

    step = bot.of_type("step")[-1]
    assert step.status is StepStatus.succeeded
    assert step.result["timezone"] == "Europe/Paris" and step.result["datetime"][:2] == "20"
