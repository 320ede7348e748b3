"""Reaching language models: the embedded llama.cpp server and pydantic-ai model construction."""
