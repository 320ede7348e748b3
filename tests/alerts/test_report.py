"""The incident report (issue 21): an alert thread's timeline after a summary, from the API
(Markdown and HTML), from `!report` in the thread, and from `chatops report`."""

from __future__ import annotations

import re

from tests.alerts.test_webhooks import AM, alert_body, served
from tests.test_cli import chatops


async def incident(start_web, http_server):
    """An alert that fired at 08:00, a diagnosis approved by the operator, resolved at 08:25."""
    web = await served(start_web)
    host = http_server.removeprefix("http://")
    body = alert_body("firing", host, description=f"{http_server}/health answers slowly")
    thread_id = (await web.request("POST", AM, json=body)).body["threads"][0]["id"]
    plan = (await web.thread(thread_id))["plans"][0]
    await web.request("POST", f"/api/v1/plans/{plan['id']}/decision", json={"decision": "approve"})
    await web.wait_for(thread_id, lambda v: v["plans"][0]["status"] == "succeeded")
    await web.request("POST", AM, json=alert_body("resolved", host, ends="2026-12-05T08:25:00Z",
                                                  description=f"{http_server}/health answers slowly"))
    return web, thread_id


async def test_the_report_is_the_timeline_after_a_summary(start_web, http_server):
    web, thread_id = await incident(start_web, http_server)
    reply = await web.request("GET", f"/api/v1/threads/{thread_id}/report")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/markdown")
    text = reply.body
    assert text.startswith("# Incident report: 🔔 WebDown: ")
    summary = text.split("## Summary", 1)[1].split("## Timeline", 1)[0]
    assert "- Alert fired: 2026-12-05 08:00:00 UTC" in summary
    assert "- Resolved: 2026-12-05 08:25:00 UTC" in summary
    assert "- Time to resolve: 25 min" in summary
    assert re.search(r"- Time to acknowledge: \d+ (s|min|h)", summary)
    assert re.search(r"- Time to first action: \d+ (s|min|h)", summary)
    timeline = text.split("## Timeline", 1)[1]
    order = ["🔔 Alert WebDown fired (alertmanager)", "💬 alertmanager", "📋 Plan “Check what the alert WebDown shows”",
             "✔️ operator approved a plan", "▶️ Step `http_check` started", "⏹ Step `http_check` succeeded (ok)"]
    positions = [timeline.index(item) for item in order]
    assert positions == sorted(positions)
    assert "answers 200" in timeline or "200 OK" in timeline  # the step's output
    assert "✅ Resolved: WebDown after firing for 25 min" in timeline
    stamps = re.findall(r"^- \*\*(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\*\*", timeline, re.MULTILINE)
    assert stamps == sorted(stamps) and len(stamps) >= 8


async def test_the_report_as_html_and_its_errors(start_web, http_server):
    web, thread_id = await incident(start_web, http_server)
    page = await web.request("GET", f"/api/v1/threads/{thread_id}/report?format=html")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Content-Disposition"].startswith("attachment")
    assert "<h2>Summary</h2>" in page.body and "<script" not in page.body
    assert (await web.request("GET", f"/api/v1/threads/{thread_id}/report?format=pdf")).status == 400
    assert (await web.request("GET", "/api/v1/threads/http:operator:nope/report")).status == 404


async def test_bang_report_answers_in_the_thread(start_web, http_server):
    web, thread_id = await incident(start_web, http_server)
    await web.say("!report", thread=thread_id)
    view = await web.wait_for(thread_id, lambda v: v["messages"][-1]["role"] == "bot"
                              and v["messages"][-1]["text"].startswith("# Incident report"))
    assert "## Timeline" in view["messages"][-1]["text"]


async def test_chatops_report_prints_it(start_web, http_server, tmp_path):
    web, thread_id = await incident(start_web, http_server)
    config = tmp_path / "report.toml"
    config.write_text(f'[storage]\npath = "{web.bot.config.storage.path}"\n'
                      + (f'url = "{web.bot.config.storage.database_url}"\n' if web.bot.config.storage.url else ""))
    result = chatops("report", "--config", str(config), "--thread", thread_id, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Incident report") and "Time to resolve: 25 min" in result.stdout
    missing = chatops("report", "--config", str(config), "--thread", "http:operator:nope", cwd=tmp_path, timeout=60)
    assert missing.returncode == 1 and "no thread" in missing.stderr
