"""What the embedded model is really asked, how long it is in its own tokens, and whether a
smaller or quantised KV cache changes its answers (issue 23, memory pass 14).

    .venv/bin/python bench/prompt_lengths.py capture /tmp/prompts.jsonl    # ~10 min on 2 cores
    .venv/bin/python bench/prompt_lengths.py replay /tmp/prompts.jsonl --context 2048 [--kv-cache-type q8_0]

`capture` starts the embedded SmolLM2 as the bot does (`[llm.local]` defaults) behind a recording
proxy on loopback, and sends it everything the repository's planners send it on realistic input:
the guided planner (the bot's planner for `local`) over every planner_eval set and plans.jsonl,
the same with `choose_with_model` (its tie-break prompt), alerts built from the Alertmanager and
Grafana fixtures as the bot words them (`bot.alert_cards.alert_message`), and the bare
`ModelPlanner` (every tool listed, the eval's baseline) over plans.jsonl with eval.toml's tools and
with the largest tool list any config here gives. Each request body is stored with the server's own
count of its prompt tokens (`usage.prompt_tokens`, the model's tokenizer and chat template),
the completion tokens and the answer. It prints max / p99 / median per source.

`replay` sends the stored bodies, unchanged, to a child started with other settings and counts the
answers that differ from the stored ones (temperature 0: the same settings give the same answer;
`--context 4096` is the control), and what the server does with a prompt that does not fit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/storage.py shadows storage
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from chatops.bot.config import LocalModelConfig, load_config  # noqa: E402
from chatops.bot.llm.embedded import EmbeddedModelServer, _end, default_model_path  # noqa: E402

PLANNER_EVAL = HERE / "planner_eval.py"


class Recorder:
    """A loopback proxy in front of the model server that keeps every chat request and its answer."""

    def __init__(self, upstream: str, out: Path | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.out = out.open("w") if out else None  # written as they come: a long capture can be read while it runs
        self.label = ""
        self.records: list[dict[str, Any]] = []
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600))
        return f"http://127.0.0.1:{self.port}/v1"

    async def stop(self) -> None:
        if self._session:
            await self._session.close()
        if self._runner:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        url = self.upstream.removesuffix("/v1") + request.path_qs
        async with self._session.request(request.method, url, data=body,
                                         headers={"Content-Type": "application/json"}) as answer:
            data = await answer.read()
            status, kind = answer.status, answer.content_type
        if request.path.endswith("/chat/completions"):
            self.records.append({"source": self.label, **summary(json.loads(body), status, data)})
            if self.out:
                self.out.write(json.dumps(self.records[-1]) + "\n")
                self.out.flush()
        return web.Response(body=data, status=status, content_type=kind)


def summary(body: dict[str, Any], status: int, data: bytes) -> dict[str, Any]:
    """The request body, the prompt and completion token counts, and the answer (or the error)."""
    try:
        said = json.loads(data)
    except json.JSONDecodeError:
        said = {"error": data[:300].decode(errors="replace")}
    record: dict[str, Any] = {"body": body, "status": status}
    if status == 200 and said.get("choices"):
        usage = said.get("usage") or {}
        choice = said["choices"][0]
        record.update(prompt_tokens=usage.get("prompt_tokens"), completion_tokens=usage.get("completion_tokens"),
                      answer=choice["message"].get("content"), finish=choice.get("finish_reason"))
    else:
        record["error"] = said.get("error", said)
    return record


def alert_cases(folder: Path) -> Path:
    """The fixtures' alerts as the bot words an alert turn, one case per fixture, plus a group
    of 10 alerts with long annotations (the most `shown_alerts` shows by default)."""
    from chatops.bot.alert_cards import alert_message
    from chatops.bot.alert_payloads import read_notification

    fixtures = REPO / "tests" / "alerts" / "fixtures"
    lines = []
    bodies = []
    for path in sorted(fixtures.glob("*.json")):
        source = "grafana" if path.name.startswith("grafana") else "alertmanager"
        bodies.append((source, json.loads(path.read_text())))
    big = json.loads((fixtures / "alertmanager_probe_failure.json").read_text())
    one = big["alerts"][0]
    big["alerts"] = [{**one, "labels": {**one["labels"], "instance": f"web-{n}.example.com:443"},
                      "annotations": {**one.get("annotations", {}),
                                      "description": "Probe failed: connection refused after 3 retries; the "
                                      "upstream nginx returned 502 Bad Gateway for /health " * 4},
                      "fingerprint": f"f{n:03d}"} for n in range(12)]
    bodies.append(("alertmanager", big))
    from chatops.bot.alert_payloads import WireNotification

    for source, body in bodies:
        notification = read_notification(source, WireNotification.model_validate(body))  # type: ignore[arg-type]
        text = alert_message(notification, notification.alerts, shown=10)
        lines.append(json.dumps({"request": text, "expected": []}))
    path = folder / "alerts.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def largest_tool_config() -> tuple[Path, int]:
    """The config (eval.toml, unseen.toml, issue 19's per-set configs, config.example.toml) whose
    offered tools make the longest listing."""
    from chatops.bot.agent.planner import describe_tools
    from chatops.bot.evaluation import offered_tools

    best = (REPO / "bench" / "data" / "eval.toml", 0)
    paths = [REPO / "config.example.toml", *sorted((REPO / "bench" / "data").rglob("*.toml"))]
    for path in paths:
        try:
            config = load_config(path)
        except Exception as exc:
            print(f"  (skipped {path.relative_to(REPO)}: {exc})", file=sys.stderr)
            continue
        tools, _ = offered_tools(config, path.with_suffix(".jsonl") if path.with_suffix(".jsonl").exists() else None)
        size = len(describe_tools(tools))
        if size > best[1]:
            best = (path, size)
    return best


async def capture(out: Path, *, bare_cases: int, ties: str) -> None:
    sys.path.insert(0, str(HERE))
    import planner_eval  # type: ignore[import-not-found]

    from chatops.bot.agent.guided import GuidedPlanner
    from chatops.bot.agent.planner import ModelPlanner
    from chatops.bot.evaluation import evaluate, with_model
    from chatops.bot.llm.models import build_model

    eval_config = load_config(HERE / "data" / "eval.toml")
    llm = eval_config.llm
    server = EmbeddedModelServer(llm.local)
    await asyncio.to_thread(server.start)
    recorder = Recorder(server.base_url, out)
    started = time.perf_counter()
    try:
        model = build_model(llm, embedded_base_url=await recorder.start())

        def guided(**options: Any) -> GuidedPlanner:
            return GuidedPlanner(model, timeout=llm.timeout, max_tokens=llm.local.max_tokens,
                                 concurrency=asyncio.Semaphore(1), **options)

        sets = planner_eval._issue11_sets() + planner_eval._issue19_sets() + [HERE / "data" / "plans.jsonl"]
        for path in sets:
            if path.with_suffix(".toml").exists():
                config = with_model(load_config(path.with_suffix(".toml")), "local")
            elif path.stem.startswith("unseen"):
                config = load_config(HERE / "data" / "unseen.toml")
            else:
                config = eval_config
            recorder.label = "guided"
            await evaluate(config, path, planner=guided())
            if ties and (ties == "all" or path.name == "plans.jsonl"):
                recorder.label = "guided, model breaks ties"
                await evaluate(config, path, planner=guided(choose_with_model=True))
        with tempfile.TemporaryDirectory() as folder:
            recorder.label = "alert"
            await evaluate(eval_config, alert_cases(Path(folder)), planner=guided())
            big, size = largest_tool_config()
            print(f"largest tool listing: {big.relative_to(REPO)} ({size} characters)", file=sys.stderr)
            cases = Path(folder) / "bare.jsonl"
            cases.write_text("\n".join((HERE / "data" / "plans.jsonl").read_text().splitlines()[:bare_cases]) + "\n")
            for label, config_path in (("bare, eval.toml tools", HERE / "data" / "eval.toml"),
                                       (f"bare, {big.relative_to(REPO)} tools", big)):
                recorder.label = label
                # max_tokens 1: only the prompt's length is wanted here (the bare planner is the eval's
                # baseline, never the bot's planner for `local`); its 256-token replies took ~60 s each
                bare = ModelPlanner(model, native_output=True, timeout=llm.timeout, max_tokens=1,
                                    temperature=0.0, concurrency=asyncio.Semaphore(1))
                await evaluate(with_model(load_config(config_path), "local"), cases, planner=bare)
    finally:
        await recorder.stop()
        await asyncio.to_thread(server.stop)
        if recorder.out:
            recorder.out.close()
    print(f"{len(recorder.records)} model requests in {time.perf_counter() - started:.0f} s -> {out}")
    print_lengths(recorder.records, llm.local.max_tokens)


def quantile(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def cap(record: dict[str, Any], max_tokens: int) -> int:
    """The reply's token cap the request was sent with (the bare planner's was 1, see `capture`:
    its real one is `max_tokens`)."""
    if record["source"].startswith("bare"):
        return max_tokens
    body = record["body"]
    return int(body.get("max_completion_tokens") or body.get("max_tokens") or max_tokens)


def print_lengths(records: list[dict[str, Any]], max_tokens: int) -> None:
    print(f"\nprompt tokens per request (the server's count), and prompt + the request's max_tokens cap "
          f"(default {max_tokens}):")
    print(f"{'source':58}{'n':>6}{'median':>8}{'p99':>6}{'max':>6}{'max+cap':>9}{'errors':>8}")
    sources = dict.fromkeys(record["source"] for record in records)
    for source in [*sources, "all the bot sends (guided, alerts)"]:
        chosen = [r for r in records if r["source"] == source or (
            source.startswith("all") and not r["source"].startswith("bare"))]
        counts = [r["prompt_tokens"] for r in chosen if r.get("prompt_tokens") is not None]
        needs = [r["prompt_tokens"] + cap(r, max_tokens) for r in chosen if r.get("prompt_tokens") is not None]
        errors = sum(1 for r in chosen if r.get("error"))
        if counts:
            print(f"{source:58}{len(chosen):>6}{statistics.median(counts):>8.0f}{quantile(counts, 0.99):>6}"
                  f"{max(counts):>6}{max(needs):>9}{errors:>8}")


def start_child(context: int, kv_cache_type: str, cache_ram_mib: int | None) -> tuple[subprocess.Popen[str], str]:
    """The embedded model's child with these settings, as `EmbeddedModelServer.start` starts it."""
    config = LocalModelConfig()
    request = {"path": str(default_model_path()), "context": context, "max_tokens": config.max_tokens,
               "threads": config.threads, "kv_cache_type": kv_cache_type,
               "cache_ram_mib": cache_ram_mib}
    child = subprocess.Popen([sys.executable, "-m", "chatops.bot.llm.embedded", json.dumps(request)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             start_new_session=True)
    assert child.stdout is not None
    said = json.loads(child.stdout.readline())
    return child, f"http://127.0.0.1:{said['port']}"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def replay(stored: Path, *, context: int, kv_cache_type: str, cache_ram_mib: int | None,
                 without_bare: bool = False, per_source: int = 0, save: Path | None = None) -> None:
    records = [json.loads(line) for line in stored.read_text().splitlines() if line.strip()]
    records = [r for r in records if not (without_bare and r["source"].startswith("bare"))]
    seen: set[str] = set()
    kept: dict[str, int] = {}
    chosen = []
    for record in records:  # each distinct request once, at most `per_source` of each source
        key = json.dumps(record["body"], sort_keys=True)
        if key in seen or (per_source and kept.get(record["source"], 0) >= per_source):
            continue
        seen.add(key)
        kept[record["source"]] = kept.get(record["source"], 0) + 1
        chosen.append(record)
    records = chosen
    child, url = start_child(context, kv_cache_type, cache_ram_mib)
    at_rest = rss_mb(child.pid)
    changed: list[tuple[dict[str, Any], dict[str, Any]]] = []
    answers: list[dict[str, Any]] = []
    by_source: dict[str, list[int]] = {}
    peak = at_rest
    started = time.perf_counter()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
            for record in records:
                async with session.post(f"{url}/v1/chat/completions", json=record["body"]) as answer:
                    now = summary(record["body"], answer.status, await answer.read())
                peak = max(peak, rss_mb(child.pid))
                same = (now.get("answer"), "error" in now) == (record.get("answer"), "error" in record)
                answers.append({"source": record["source"], "body": record["body"], **now})
                tally = by_source.setdefault(record["source"], [0, 0])
                tally[0] += 1
                if not same:
                    tally[1] += 1
                    changed.append((record, now))
            # a prompt that does not fit: what the server answers (the bot must never see a silent cut)
            words = " ".join(f"host{n}.example.com" for n in range(context))
            body = {"model": "local", "messages": [{"role": "user", "content": words}], "max_tokens": 16}
            async with session.post(f"{url}/v1/chat/completions", json=body) as answer:
                overflow = (answer.status, (await answer.text())[:300])
    finally:
        _end(child)
    print(f"replay at context {context}, KV cache {kv_cache_type}, cache_ram_mib {cache_ram_mib}: "
          f"{len(records)} requests in "
          f"{time.perf_counter() - started:.0f} s; child RSS at rest {at_rest:.0f} MB, peak {peak:.0f} MB")
    for source, (total, differ) in by_source.items():
        print(f"  {source:58} {differ} of {total} answers differ")
    for record, now in changed[:40]:
        content = record["body"]["messages"][-1]["content"]
        print(f"  - [{record['source']}] {content[-160:]!r}"
              f"\n      stored {record.get('answer') or record.get('error')!r}"
              f"\n      now    {now.get('answer') or now.get('error')!r}")
    print(f"  a prompt of ~{context * 5} tokens: HTTP {overflow[0]} {overflow[1]}")
    if save:
        save.write_text("".join(json.dumps(answer) + "\n" for answer in answers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cap = sub.add_parser("capture")
    cap.add_argument("out", type=Path)
    cap.add_argument("--ties", choices=("all", "plans", ""), default="plans",
                     help="where the tie-break prompts (choose_with_model) are captured too: every set "
                     "(slow: several hundred model calls), plans.jsonl only, or nowhere")
    cap.add_argument("--bare-cases", type=int, default=40, help="plans.jsonl cases the bare planner is asked")
    rep = sub.add_parser("replay")
    rep.add_argument("stored", type=Path)
    rep.add_argument("--context", type=int, default=4096)
    rep.add_argument("--kv-cache-type", default="f16", choices=("f16", "q8_0"))
    rep.add_argument("--cache-ram-mib", type=int, default=None,
                     help="llama.cpp's prompt cache in RAM (its default 8192; the bot's: "
                     "bot.llm.embedded.PROMPT_CACHE_MIB)")
    rep.add_argument("--per-source", type=int, default=0, help="at most this many distinct requests per source")
    rep.add_argument("--save", type=Path, default=None, help="write this replay's answers (JSONL), to replay against")
    rep.add_argument("--without-bare", action="store_true", help="only what the bot sends (not the bare planner's)")
    lengths = sub.add_parser("lengths")
    lengths.add_argument("stored", type=Path)
    args = parser.parse_args()
    if args.command == "capture":
        asyncio.run(capture(args.out, bare_cases=args.bare_cases, ties=args.ties))
    elif args.command == "replay":
        asyncio.run(replay(args.stored, context=args.context, kv_cache_type=args.kv_cache_type,
                           cache_ram_mib=args.cache_ram_mib, without_bare=args.without_bare,
                           per_source=args.per_source, save=args.save))
    else:
        records = [json.loads(line) for line in args.stored.read_text().splitlines() if line.strip()]
        print_lengths(records, LocalModelConfig().max_tokens)


if __name__ == "__main__":
    main()
