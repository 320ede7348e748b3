"""The wheel as a user gets it (issue 25, items 1 and 4): built with `python -m build`, installed
with `[all]` into a fresh virtual environment, it runs the first five minutes (`--version`, `init
--yes`, `check-config`, `run` → /healthz → an answer), carries every data file, and installs beside
a distribution that has its own top-level `tools` and `storage`."""

from __future__ import annotations

import json
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from tests.packaging.wheel import REPO, Environment, stop
from tests.postgres_server import free_port

FOLDERS = {"chatops": "chatops", "bot": "chatops.bot", "adapters": "chatops.adapters", "tools": "chatops.tools",
           "storage": "chatops.storage"}


def call(url: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def serve_and_ask(env: Environment, cwd: Path, question: str) -> tuple[dict[str, Any], str]:
    """`chatops run --listen` from `cwd`, /healthz 200, one question through the API, the answered
    thread; SIGTERM must stop it with exit 0 and no traceback. Returns (thread, everything printed)."""
    port = free_port()
    process = env.start("run", "--listen", f"127.0.0.1:{port}", cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, health = call(base + "/healthz")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, process.communicate()
                time.sleep(0.2)
        assert status == 200 and "http" in health["adapters"], health
        status, view = call(base + "/api/v1/threads", "POST", {"text": question})
        assert status == 201, view
        deadline = time.monotonic() + 120
        while not [m for m in view["messages"] if m["role"] == "bot"] and time.monotonic() < deadline:
            time.sleep(0.3)
            _, view = call(f"{base}/api/v1/threads/{view['id']}")
    finally:
        printed = stop(process)
    return view, printed


def test_pyproject_names_every_package_folder_in_the_tree():
    """setuptools installs only the packages listed: a new folder left out would be missing from
    the wheel (and work in a checkout), so every folder holding Python must be listed, with an
    __init__.py, and nothing listed may be missing."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(project["packages"])
    found, without_init = set(), []
    for folder, root in FOLDERS.items():
        for directory in [REPO / folder, *(p for p in (REPO / folder).rglob("*") if p.is_dir())]:
            if "__pycache__" in directory.parts or not any(directory.glob("*.py")):
                continue
            relative = directory.relative_to(REPO / folder).parts
            found.add(".".join([root, *relative]))
            if not (directory / "__init__.py").is_file():
                without_init.append(str(directory.relative_to(REPO)))
    assert not without_init, f"folders with Python but no __init__.py: {without_init}"
    # folders of data only (the web chat's page, the diagnosis knowledge base) are listed as the
    # packages their package-data names, so setuptools includes them without a warning
    data_only = {name for name in project.get("package-data", {}) if name not in found}
    for name in data_only:
        root = next(root for root in sorted(FOLDERS.values(), key=len, reverse=True) if name.startswith(root))
        folder = next(folder for folder, value in FOLDERS.items() if value == root)
        assert (REPO / folder / Path(*name[len(root) + 1:].split("."))).is_dir(), f"{name}: no such data folder"
    found |= data_only
    assert found == listed, f"not listed: {sorted(found - listed)}; listed but absent: {sorted(listed - found)}"
    assert project["package-dir"] == {root: folder for folder, root in FOLDERS.items()}


def test_the_wheel_carries_every_data_file_under_one_import_root(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"chatops", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}, tops
    # every file of the package folders that is not Python: the web chat, the diagnosis knowledge base...
    data = set()
    for folder, root in FOLDERS.items():
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
                data.add("/".join([*root.split("."), *path.relative_to(REPO / folder).parts]))
    assert {"chatops/adapters/http/web/index.html", "chatops/bot/agent/diagnoses/tls.toml"} <= data
    assert data <= set(names), f"left out of the wheel: {sorted(data - set(names))}"
    entry_points = zipfile.ZipFile(wheel).read(f"{next(t for t in tops if t.endswith('.dist-info'))}/entry_points.txt")
    assert b"chatops = chatops.bot.cli:main" in entry_points


def test_the_installed_wheel_runs_the_first_five_minutes(installed: Environment):
    cwd = installed.workdir("first-five-minutes")
    where = subprocess.run([str(installed.python), "-c", "import chatops.bot, chatops.tools; "
                            "print(chatops.bot.__file__); print(chatops.tools.__file__)"],
                           capture_output=True, text=True, cwd=cwd, env=installed.env(), check=True)
    assert all(line.startswith(str(installed.site)) for line in where.stdout.split()), where.stdout

    version = installed.run("--version", cwd=cwd)
    assert version.returncode == 0 and version.stdout.startswith("chatops "), version
    init = installed.run("init", "--yes", cwd=cwd)
    assert init.returncode == 0, init.stderr
    assert "chatops run" in init.stdout and (cwd / "config.toml").is_file()
    check = installed.run("check-config", cwd=cwd)
    assert check.returncode == 0 and check.stdout.strip().endswith(": OK"), check.stdout + check.stderr

    view, printed = serve_and_ask(installed, cwd, "how full is the disk?")
    answers = [m["text"] for m in view["messages"] if m["role"] == "bot"]
    assert answers, view
    assert any("disk_usage" in step["tool"] for plan in view["plans"] for step in plan["steps"]), view["plans"]
    assert "Filesystem" in json.dumps(view) or "%" in answers[-1], answers  # df's own output was read
    assert "web chat at http://127.0.0.1:" in printed
    assert (cwd / "data" / "chatops.db").is_file()  # the database where the starter config says


def _tiny_wheel(folder: Path) -> Path:
    """A distribution `generic-tools` shipping top-level `tools` and `storage` packages (what a
    user's environment may well hold), written as a wheel by hand."""
    name = "generic_tools-1.0-py3-none-any.whl"
    files = {
        "tools/__init__.py": "WHO = 'generic-tools'\n",
        "storage/__init__.py": "WHO = 'generic-tools'\nStore = None\n",
        "generic_tools-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: generic-tools\nVersion: 1.0\n",
        "generic_tools-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\n"
                                             "Tag: py3-none-any\n",
        "generic_tools-1.0.dist-info/top_level.txt": "storage\ntools\n",
    }
    record = "".join(f"{path},,\n" for path in files) + "generic_tools-1.0.dist-info/RECORD,,\n"
    path = folder / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in {**files, "generic_tools-1.0.dist-info/RECORD": record}.items():
            archive.writestr(member, text)
    return path


def test_the_bot_starts_and_answers_beside_a_distribution_with_its_own_tools_and_storage(
        installed: Environment, tmp_path: Path):
    installed.pip_install(str(_tiny_wheel(tmp_path)))
    cwd = installed.workdir("beside-generic-tools")
    both = subprocess.run([str(installed.python), "-c", "import tools, storage, chatops.tools, chatops.storage; "
                           "print(tools.WHO, storage.WHO, chatops.storage.Store.__name__)"],
                          capture_output=True, text=True, cwd=cwd, env=installed.env())
    assert both.stdout.split() == ["generic-tools", "generic-tools", "Store"], both.stdout + both.stderr
    assert installed.run("init", "--yes", cwd=cwd).returncode == 0
    config = cwd / "config.toml"  # a `!command` needs no planner: the scripted model, nothing to load
    config.write_text(config.read_text().replace('model = "local"', 'model = "test"'))
    view, _ = serve_and_ask(installed, cwd, "!disk_usage path=/")
    answers = [m["text"] for m in view["messages"] if m["role"] == "bot"]
    assert answers and "Filesystem" in json.dumps(view), view
