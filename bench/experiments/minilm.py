"""The MiniLM sentence encoder, for the experiments: it now ships as `bot.agent.meaning`."""

from chatops.bot.agent.meaning import MiniLM, available, encoder, model_dir  # noqa: F401
