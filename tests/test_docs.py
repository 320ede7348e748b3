"""The documentation cannot drift from the code: the configuration reference is regenerated from
the pydantic models and compared, the site builds with `mkdocs build --strict` (a broken link,
anchor or nav entry fails it), and the README stays a front door (under 300 lines, links that
resolve)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import chatops
from chatops.bot import config_reference

ROOT = Path(__file__).resolve().parent.parent


def test_the_configuration_reference_is_generated_from_the_config_models() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == config_reference.render(), \
        "docs/configuration.md is stale: run `python -m chatops.bot.config_reference --write`"


def test_the_reference_names_every_key_of_every_section() -> None:
    """Every field of every config model has a row (or a section, for nested tables)."""
    from pydantic import BaseModel

    from chatops.bot.config import Config

    page = config_reference.render()
    seen: set[type] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, field in model.model_fields.items():
            if field.exclude:
                continue
            inner, _shape = config_reference._container(field.annotation)
            if inner is not None:
                walk(inner)
            elif model is not Config:
                assert f"| `{name}` |" in page, f"{model.__name__}.{name} has no row"

    walk(Config)
    assert "### `[perception.whisper]`" in page and "## `[[runbooks]]`" in page and "## `[roles.NAME]`" in page
    assert "| `CHATOPS_SLACK_BOT_TOKEN` | `slack.bot_token` |" in page
    assert "### `[tools.http_check]`" in page, "a built-in tool's options table is missing"


def test_a_new_field_and_its_docstring_reach_the_page() -> None:
    """What the generator reads: the type and bounds from the model, the words from the docstring
    under the field or the comment at the end of its line."""
    from pydantic import Field

    from chatops.bot.config import Section

    class Example(Section):
        """An example section."""

        port: int = Field(8080, ge=1, le=65535)
        """The port to listen on."""
        mode: str = "fast"  # how it runs

    text = config_reference._section("[example]", Example, level=2)
    assert "An example section." in text
    assert "| `port` | integer, ≥ 1, ≤ 65535 | `8080` | The port to listen on. |" in text
    assert "| `mode` | string | `\"fast\"` | How it runs |" in text


def test_the_site_builds_with_strict_link_checks(tmp_path: Path) -> None:
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner about its successor
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                             "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, env=environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "configuration" / "index.html").is_file()
    assert (tmp_path / "site" / "troubleshooting" / "index.html").is_file()


def test_the_readme_is_a_front_door_whose_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 300
    assert "make run" in readme and "make test" in readme
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme) + re.findall(r'src="([^"]+)"', readme)
    local = [target for target in targets if not re.match(r"^[a-z]+://", target)]
    assert local, "the README links to no page under docs/"
    missing = [target for target in local if not (ROOT / target).exists()]
    assert missing == []


def test_the_changelog_has_the_version_from_its_one_place() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog")
    assert "## [Unreleased]" in changelog
    assert re.search(rf"^## \[{re.escape(chatops.__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M), \
        f"CHANGELOG.md has no entry for chatops.__version__ = {chatops.__version__}"


def test_nav_entries_of_pages_written_elsewhere_appear_once_the_page_exists(tmp_path: Path) -> None:
    """storage.md, startup.md and architecture.md are written on other branches: the hook keeps
    them out of the nav until the file exists, and keeps every other entry (a missing one of
    those still fails the strict build)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("optional_pages", ROOT / "docs" / "hooks" / "optional_pages.py")
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    running = [{"Storage": "storage.md"}, {"Deploy": "deploy.md"}, {"Typo": "deplyo.md"}]
    nav = [{"Home": "index.md"}, {"Running it": running}, {"Reference": [{"Architecture": "architecture.md"}]}]
    (tmp_path / "architecture.md").write_text("# Architecture\n", encoding="utf-8")
    pruned = hook.on_config({"nav": nav, "docs_dir": str(tmp_path)})["nav"]
    assert pruned == [{"Home": "index.md"}, {"Running it": [{"Deploy": "deploy.md"}, {"Typo": "deplyo.md"}]},
                      {"Reference": [{"Architecture": "architecture.md"}]}]
