"""Build the wheel once per test session and install it into throwaway virtual environments.

A virtual environment of its own for each install, with nothing of the source tree on its path: the
wheel is built from a copy of only what the distribution is made of (pyproject.toml, README.md and
the five package folders), so a file the wheel forgot is missing here too. The third-party
dependencies are not downloaded again: the new environment sees the test runner's own
site-packages through one `.pth` line pointing at a folder of symlinks that leaves out every
`chatops` entry, so pip finds the requirements installed and the only chatops there is the wheel.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# what the distribution is made of; anything else in the checkout must not be needed
SOURCES = ("pyproject.toml", "README.md", "chatops", "bot", "adapters", "storage", "tools")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def build_wheel(workdir: Path) -> Path:
    """`python -m build --wheel` on a copy of the distribution's files; the wheel's path."""
    source = workdir / "source"
    source.mkdir()
    for name in SOURCES:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=IGNORED)
        else:
            shutil.copy2(origin, source / name)
    out = workdir / "dist"
    done = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wheels = list(out.glob("chatops-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _distribution_of(entry: str) -> str:
    """`faster_whisper-1.1.dist-info`, `ctranslate2.libs`, `av` → the import/distribution name."""
    return re.split(r"[-.]", entry, maxsplit=1)[0].lower().replace("-", "_")


def _overlay(folder: Path, leave_out: tuple[str, ...] = ()) -> Path:
    """A folder of symlinks to the runner's site-packages, every chatops entry (and `leave_out`,
    import names like `faster_whisper`) left out."""
    site = Path(sysconfig.get_paths()["purelib"])
    folder.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("chatops", "__editable__")) or name.endswith(".pth") or name == "__pycache__" \
                or _distribution_of(entry.name) in leave_out:
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


@dataclass
class Environment:
    """A fresh virtual environment with the wheel installed."""

    root: Path
    home: Path  # a working directory with nothing of the checkout in it

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def chatops(self) -> Path:
        return self.root / "bin" / "chatops"

    @property
    def site(self) -> Path:
        found = list((self.root / "lib").glob("python3.*/site-packages"))
        assert len(found) == 1, found
        return found[0]

    def env(self, **extra: str) -> dict[str, str]:
        """The process environment for this install: no CHATOPS_* or PYTHONPATH from the runner."""
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith("CHATOPS_") and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        return {**keep, "NO_COLOR": "1", "PATH": f"{self.root / 'bin'}:{keep.get('PATH', '')}", **extra}

    def workdir(self, name: str) -> Path:
        """A fresh working directory for one test (its config.toml and data/ stay there)."""
        folder = self.home / name
        folder.mkdir()
        return folder

    def run(self, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.chatops), *args], capture_output=True, text=True, timeout=timeout,
                              cwd=cwd, env=self.env(), stdin=subprocess.DEVNULL)

    def start(self, *args: str, cwd: Path) -> subprocess.Popen[str]:
        """A long-running command; PYTHONFAULTHANDLER so that `stop` can show where it hangs."""
        return subprocess.Popen([str(self.chatops), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=cwd, env=self.env(PYTHONFAULTHANDLER="1"), stdin=subprocess.DEVNULL)

    def pip_install(self, *requirements: str) -> subprocess.CompletedProcess[str]:
        """pip (the runner's, driving this interpreter) without an index: nothing is downloaded."""
        done = subprocess.run([sys.executable, "-m", "pip", "--python", str(self.python), "install", "--quiet",
                               "--no-index", "--disable-pip-version-check", *requirements],
                              capture_output=True, text=True, timeout=300, env=self.env())
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done


def stop(process: subprocess.Popen[str], timeout: float = 120) -> str:
    """SIGTERM, as a supervisor stops it: it must exit 0 without a traceback within `timeout`
    (models still loading in the background finish first). Past that, SIGABRT makes the
    fault handler print every thread's stack, and the assertion shows them. Returns the output."""
    process.send_signal(signal.SIGTERM)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        out, err = process.communicate(timeout=30)
        raise AssertionError(f"chatops run did not stop {timeout:g} s after SIGTERM; its threads:\n{err[-8000:]}") \
            from None
    printed = out + err
    assert process.returncode == 0 and "Traceback" not in printed, printed
    return printed


def make_environment(folder: Path, wheel: Path, extras: str = "[all]", leave_out: tuple[str, ...] = ()) -> Environment:
    """A new venv seeing the runner's dependencies (but `leave_out`), with `chatops<extras>`
    installed from `wheel`."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(folder / "venv")
    environment = Environment(root=folder / "venv", home=folder / "home")
    environment.home.mkdir()
    overlay = _overlay(folder / "dependencies", leave_out)
    (environment.site / "_runner_dependencies.pth").write_text(f"{overlay}\n")
    environment.pip_install(f"{wheel}{extras}")
    return environment
