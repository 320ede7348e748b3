"""With many tools, the planner is shown the relevant ones; with few, all of them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from chatops.bot.agent.tool_filter import DEFAULT_LIMIT, relevant_tools
from chatops.bot.config import load_config
from chatops.bot.evaluation import offered_tools

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _extra_tools(count: int) -> list:
    """The benchmark's 191 MCP-shaped tools, loaded by path (bench/ is not a package, and putting
    it on sys.path would shadow `storage` and `mcp`)."""
    spec = importlib.util.spec_from_file_location("planner_scale", BENCH / "planner_scale.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["planner_scale"] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module.extra_tools(count)


@pytest.fixture(scope="module")
def tools():
    base, _ = offered_tools(load_config(BENCH / "data" / "eval.toml"))
    return base, base + _extra_tools(200 - len(base))


def test_a_few_tools_are_all_kept_in_their_order(tools):
    base, _ = tools
    assert relevant_tools("restart nginx", base) == base


@pytest.mark.parametrize(("request_text", "expected"), [
    ("is https://shop.example.net/cart up?", "http_check"),
    ("restart postgresql now", "restart_service"),
    ("pull the nginx logs, last 20", "tail_logs"),
    ("is port 5432 open on db1.internal?", "tcp_check"),
    ("what's the time in Asia/Singapore", "current_time"),
    ("MX records of example.org", "dns_lookup"),
])
def test_among_200_tools_the_right_one_is_kept(tools, request_text, expected):
    _, many = tools
    kept = relevant_tools(request_text, many)
    assert len(kept) == DEFAULT_LIMIT
    assert expected in [spec.name for spec in kept]
    order = [spec.name for spec in many]
    assert [spec.name for spec in kept] == sorted((spec.name for spec in kept), key=order.index)
