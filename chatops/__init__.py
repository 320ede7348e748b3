"""chatops: a chat-ops bot with a tool-using agent.

Everything installs under this one import root (`chatops.bot`, `chatops.adapters`, `chatops.tools`,
`chatops.storage`), so the generic names the repository's folders carry never clash with another
distribution's top-level `tools` or `storage`. The wheel maps the folders in (pyproject.toml's
`package-dir`); in a source checkout the folders sit beside this package, and the lines below let
`chatops.bot` find `bot/` there, so the tree runs without being installed.

The version lives here and nowhere else (pyproject.toml reads it).
"""

from pathlib import Path

__version__ = "0.2.0"

_checkout = Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "bot" / "__init__.py").is_file():
    __path__.append(str(_checkout))
