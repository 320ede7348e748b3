"""The embedded model's context (`llm.local.context`) and KV cache (`llm.local.kv_cache_type`),
with the real SmolLM2 child: a request that does not fit is refused whole, with both sizes said,
never cut (llama.cpp's context shift is off); the default context holds the bot's longest prompt
measured (bench/prompt_lengths.py, bench/results/issue23-memory-14.txt); a quantised cache
answers the bot's argument question as the f16 one does."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatops.bot.agent.guided import GuidedPlanner
from chatops.bot.agent.planning import PlannerError
from chatops.bot.config import LLMConfig, LocalModelConfig
from chatops.bot.llm.embedded import EmbeddedModelServer
from chatops.bot.llm.models import build_model
from chatops.tools.registry import spec_of
from chatops.tools.runbooks import runbook_tool
from tests.test_guided_planner import CHANGELOG, RUNBOOKS, request

# a pasted log after the request: ~40 tokens a line
LOG = "\n".join(f"2026-12-06T21:{n % 60:02d}:07Z payments-api[{4000 + n}]: upstream timed out after 30000 ms "
                f"while reading response header from upstream, request id {n:08x}" for n in range(60))


def planner_on(config: LocalModelConfig) -> tuple[EmbeddedModelServer, GuidedPlanner, list]:
    from chatops.tools.builtin import BUILTIN_TOOLS

    server = EmbeddedModelServer(config)
    server.start()
    model = build_model(LLMConfig(model="local"), embedded_base_url=server.base_url)
    tools = [spec_of(item) for item in BUILTIN_TOOLS] + [runbook_tool(runbook) for runbook in RUNBOOKS]
    return server, GuidedPlanner(model, timeout=60, max_tokens=config.max_tokens), tools


async def test_a_request_longer_than_the_context_is_refused_whole_with_both_sizes():
    server, planner, tools = planner_on(LocalModelConfig(context=512))
    try:
        with pytest.raises(PlannerError) as refused:
            await planner.plan(request(f"{CHANGELOG}\n{LOG}", tools))
        assert planner.model_calls == 1
        message = str(refused.value)
        assert "exceeds the available context size (512 tokens)" in message, message
        # the same question, short enough, is answered by the same server
        outcome = await planner.plan(request(CHANGELOG, tools))
        assert planner.model_calls == 2 and outcome is not None
    finally:
        server.stop()


# bench/prompt_lengths.py (2026-12-06): the longest prompt sent to the model over every planner_eval
# set, the tie-break prompts, the alert fixtures and the bare planner's full tool lists (eval.toml's:
# the longest); the bot's own planner's longest was 497
LONGEST_PROMPT = 959


def test_the_default_context_holds_the_longest_measured_prompt_and_its_answer():
    """With the reply's cap (`max_tokens`) it fits the default context with a quarter to spare."""
    config = LocalModelConfig()
    assert LONGEST_PROMPT + config.max_tokens <= 0.75 * config.context


@pytest.mark.parametrize("kv_cache_type", ["f16", "q8_0"])
async def test_the_argument_question_is_answered_with_either_cache(kv_cache_type):
    server, planner, tools = planner_on(LocalModelConfig(kv_cache_type=kv_cache_type))
    try:
        outcome = await planner.plan(request(CHANGELOG, tools))
        assert planner.model_calls == 1
        [step] = outcome.steps
        assert step.tool == "show_changelog" and step.args["service"] in ("payments", "broke")
    finally:
        server.stop()


def test_the_child_keeps_no_earlier_prompts_state():
    """llama.cpp's prompt cache in RAM (8 GiB by default) kept each distinct prompt's attention
    state: ~4 MB a question, for good. Six distinct questions now leave the child where one did."""
    import json
    import urllib.request

    def rss_mb(pid: int) -> float:
        status = Path(f"/proc/{pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024

    server = EmbeddedModelServer(LocalModelConfig())
    server.start()
    try:
        def ask(number: int) -> None:
            text = f"Request {number}:\n" + "\n".join(LOG.splitlines()[number:number + 6])
            body = json.dumps({"model": "local", "messages": [{"role": "user", "content": text}],
                               "max_tokens": 4, "temperature": 0}).encode()
            urllib.request.urlopen(urllib.request.Request(f"{server.base_url}/chat/completions", body,
                                                          {"Content-Type": "application/json"}), timeout=120).read()

        ask(0)
        after_one = rss_mb(server.pid)
        for number in range(1, 7):
            ask(number)
        assert rss_mb(server.pid) - after_one < 8, (after_one, rss_mb(server.pid))
    finally:
        server.stop()
