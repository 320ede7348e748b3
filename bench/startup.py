"""Cold start: `chatops run` → `/healthz` 200, beside errbot's first echo and a bare
`python -c 'import aiohttp'` floor (issue 23 item 1).

Each round runs them in a rotating order (floor, chatops, check-config, errbot; then chatops,
check-config, errbot, floor; …), so a busy spell on the shared machine hits all of them alike, and prints each
measurement's wall time and CPU time. The summary gives min / median / max of the ratios taken
within each round (chatops ÷ floor, chatops ÷ errbot), dated, with the load average.

- floor: a fresh interpreter that imports aiohttp (the web server) and exits.
- chatops: `chatops run` on the built-in defaults (embedded model, a fresh SQLite file in a
  temporary folder, a free loopback port) until `GET /healthz` answers 200; also how long until
  the tools and the planner are ready (`"ready": true`) and every model is (`model_states`).
  Then SIGTERM, which must end it with status 0.
- check-config: `chatops check-config` on the defaults (target: within half a second).
- errbot: `bench/errbot_first_echo.py` in errbot's own virtualenv (built with pip on first use,
  `--errbot-venv`, shared with `bench/pipeline.py`): process start until `!echo hi` is answered.

    .venv/bin/python bench/startup.py              # 5 rounds
    .venv/bin/python bench/startup.py --rounds 9 --no-errbot
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ERRBOT_VERSION = "6.2.1"  # as bench/pipeline.py
TARGET_SECONDS = 1.0  # issue 23: `chatops run` → /healthz 200 within a second


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def chatops_command() -> list[str]:
    script = Path(sys.executable).parent / "chatops"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from chatops.bot.cli import main; main()"]


CHECKOUT = ROOT  # which source tree `chatops` runs from (`--checkout`, to measure another commit)


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
    return {**env, "PYTHONPATH": str(CHECKOUT), "NO_COLOR": "1"}


def floor() -> dict:
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-c", "import aiohttp"], check=True, env=environment())
    return {"seconds": time.perf_counter() - started, "cpu": children_cpu() - cpu}


def check_config() -> dict:
    """`chatops check-config` on the defaults (issue 23: within half a second)."""
    with tempfile.TemporaryDirectory(prefix="chatops-check-") as folder:
        config = Path(folder) / "chatops.toml"
        config.write_text(f'[storage]\npath = "{Path(folder) / "bot.db"}"\n')
        cpu, started = children_cpu(), time.perf_counter()
        subprocess.run([*chatops_command(), "check-config", "--config", str(config)], check=True, cwd=folder,
                       env=environment(), stdout=subprocess.DEVNULL)
        return {"seconds": time.perf_counter() - started, "cpu": children_cpu() - cpu}


def get_json(url: str) -> tuple[int, dict] | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {}
    except OSError:
        return None


def chatops(timeout: float = 120) -> dict:
    """`chatops run` on the defaults → /healthz 200; then until ready and until every model is."""
    with tempfile.TemporaryDirectory(prefix="chatops-startup-") as folder:
        port = free_port()
        config = Path(folder) / "chatops.toml"
        config.write_text(f'[storage]\npath = "{Path(folder) / "bot.db"}"\n[http]\nlisten = "127.0.0.1:{port}"\n')
        url = f"http://127.0.0.1:{port}/healthz"
        cpu, started = children_cpu(), time.perf_counter()
        process = subprocess.Popen([*chatops_command(), "run", "--config", str(config)], cwd=folder,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment())
        healthy = ready = warm = None
        body: dict = {}
        try:
            while time.perf_counter() - started < timeout:
                answer = get_json(url)
                now = time.perf_counter() - started
                if answer is not None and answer[0] == 200:
                    body = answer[1]
                    healthy = healthy if healthy is not None else now
                    if "ready" not in body:  # a version that loads everything before it listens
                        ready = warm = now
                        break
                    if body.get("ready") and ready is None:
                        ready = now
                    states = body.get("model_states", {})
                    if ready is not None and all(s.startswith(("ready", "on first use", "not installed"))
                                                 for s in states.values()):
                        warm = now
                        break
                if process.poll() is not None:
                    break
                time.sleep(0.01 if healthy is None else 0.05)
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=60)
        if healthy is None or process.returncode != 0:
            raise RuntimeError(f"chatops run failed (status {process.returncode}):\n{out}\n{err}")
        return {"seconds": healthy, "ready": ready, "warm": warm, "cpu": children_cpu() - cpu,
                "states": body.get("model_states", {})}


def errbot_python(venv: Path) -> Path:
    """The Python of a virtualenv holding errbot, built on first use (the same folder and
    marker as `bench/pipeline.py`'s)."""
    python = venv / "bin" / "python"
    ready = venv / ".chatops-bench-ready"
    if ready.exists() and python.exists():
        return python
    print(f"  installing errbot {ERRBOT_VERSION} into {venv} (once) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    f"errbot=={ERRBOT_VERSION}", "pytest"], check=True, stdout=subprocess.DEVNULL)
    ready.write_text(ERRBOT_VERSION)
    return python


def errbot(python: Path) -> dict:
    cpu, started = children_cpu(), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="errbot-startup-") as folder:
        process = subprocess.Popen([str(python), str(HERE / "errbot_first_echo.py")], cwd=folder,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stdout is not None
        line = process.stdout.readline()
        seconds = time.perf_counter() - started
        out, err = process.communicate(timeout=60)
    if not line.startswith("hi "):
        raise RuntimeError(f"errbot did not echo: {line!r}\n{out}\n{err[-2000:]}")
    return {"seconds": seconds, "cpu": children_cpu() - cpu, "version": line.split()[-1]}


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--no-errbot", dest="errbot", action="store_false", help="skip errbot's first echo")
    parser.add_argument("--errbot-venv",
                        default=str(Path(tempfile.gettempdir()) / f"chatops-bench-errbot-{ERRBOT_VERSION}"),
                        help="where errbot's virtualenv is built and reused (default: %(default)s)")
    parser.add_argument("--checkout", type=Path, default=ROOT,
                        help="the source tree to start chatops from (default: this one); e.g. a worktree of an "
                             "older commit, for a before/after in the same conditions")
    args = parser.parse_args()
    global CHECKOUT
    CHECKOUT = args.checkout.resolve()

    load = os.getloadavg()
    commit = subprocess.run(["git", "-C", str(CHECKOUT), "log", "-1", "--format=%h %s"], capture_output=True,
                            text=True).stdout.strip()[:72]
    print(f"chatops from {CHECKOUT} ({commit or 'not a git checkout'})")
    print(f"bench/startup.py  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  {platform.node()}  {os.cpu_count()} CPUs  "
          f"Python {platform.python_version()}  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if load[0] > (os.cpu_count() or 1):
        print(f"  warning: the machine is busy (load {load[0]:.1f} on {os.cpu_count()} CPUs): wall times are "
              "inflated; the ratios, taken within each round, much less so")
    python = None
    if args.errbot:
        try:
            python = errbot_python(Path(args.errbot_venv))
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"  errbot could not be installed ({exc}); measuring without it")
    kinds = ["floor", "chatops", "check-config", *(["errbot"] if python else [])]
    results: dict[str, list[dict]] = {kind: [] for kind in kinds}
    ratio_floor: list[float] = []
    ratio_errbot: list[float] = []
    for round_number in range(args.rounds):
        order = kinds[round_number % len(kinds):] + kinds[:round_number % len(kinds)]
        measured: dict[str, dict] = {}
        for kind in order:
            if kind == "floor":
                measured[kind] = floor()
            elif kind == "chatops":
                measured[kind] = chatops()
            elif kind == "check-config":
                measured[kind] = check_config()
            else:
                assert python is not None
                measured[kind] = errbot(python)
            results[kind].append(measured[kind])
        ours = measured["chatops"]
        ratio_floor.append(ours["seconds"] / measured["floor"]["seconds"])
        line = (f"  round {round_number + 1} ({', '.join(order)}): floor {measured['floor']['seconds']:.2f} s, "
                f"chatops /healthz {ours['seconds']:.2f} s (cpu {ours['cpu']:.2f} s; ready "
                f"{ours['ready'] or float('nan'):.2f} s, every model {ours['warm'] or float('nan'):.2f} s)")
        line += f", check-config {measured['check-config']['seconds']:.2f} s"
        if "errbot" in measured:
            ratio_errbot.append(ours["seconds"] / measured["errbot"]["seconds"])
            line += f", errbot first echo {measured['errbot']['seconds']:.2f} s"
        print(line, flush=True)
    print()
    print(f"min / median / max over {args.rounds} interleaved rounds, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()} ({os.cpu_count()} CPUs):")
    print(f"  floor  python -c 'import aiohttp'       {spread([r['seconds'] for r in results['floor']])} s")
    print(f"  chatops run -> /healthz 200            {spread([r['seconds'] for r in results['chatops']])} s "
          f"(target <= {TARGET_SECONDS:g} s)")
    ready = [r["ready"] for r in results["chatops"] if r["ready"]]
    warm = [r["warm"] for r in results["chatops"] if r["warm"]]
    print(f"  chatops run -> ready (tools, planner)  {spread(ready)} s")
    print(f"  chatops run -> every model loaded      {spread(warm)} s")
    print(f"  chatops CPU until every model          {spread([r['cpu'] for r in results['chatops']])} s")
    print(f"  chatops check-config                   {spread([r['seconds'] for r in results['check-config']])} s "
          f"(CPU {spread([r['cpu'] for r in results['check-config']])} s; target <= 0.5 s)")
    if python:
        version = results["errbot"][0]["version"]
        print(f"  errbot {version} first echo             {spread([r['seconds'] for r in results['errbot']])} s")
        print(f"  ratio chatops / errbot                 {spread(ratio_errbot)}")
    print(f"  ratio chatops / floor                  {spread(ratio_floor)}")
    print(f"  model states at the end: {results['chatops'][-1]['states']}")


if __name__ == "__main__":
    main()
