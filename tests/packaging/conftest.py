"""One wheel and one installed environment per session (building takes ~10 s, installing ~5 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.packaging.wheel import Environment, build_wheel, make_environment


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Environment:
    """`pip install 'chatops-….whl[all]'` into a fresh virtual environment."""
    return make_environment(tmp_path_factory.mktemp("installed"), wheel)
