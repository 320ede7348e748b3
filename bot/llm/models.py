"""Build the pydantic-ai model named by `[llm]`: no hand-written provider clients.

`openai:<name>` reaches OpenAI, or any OpenAI-compatible server (Ollama, vLLM, llama.cpp) when
`llm.base_url` is set; `anthropic:<name>` reaches Anthropic; `local` reaches the embedded
llama.cpp server through the same OpenAI path; `test` is pydantic-ai's `TestModel` (for trying
the plumbing without any model).
"""

from __future__ import annotations

from pydantic_ai.models import Model

from chatops.bot.config import LLMConfig


def openai_compatible(model_name: str, base_url: str | None, api_key: str | None, *,
                      json_schema_output: bool = False) -> Model:
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.profiles.openai import OpenAIModelProfile
    from pydantic_ai.providers.openai import OpenAIProvider

    provider = OpenAIProvider(base_url=base_url or None, api_key=api_key or "unused")
    profile = None
    if json_schema_output:
        # llama.cpp and most OpenAI-compatible servers accept `response_format: json_schema`
        # and constrain decoding with it; pydantic-ai cannot know that from the model's name.
        profile = OpenAIModelProfile(supports_json_schema_output=True, supports_json_object_output=True)
    return OpenAIChatModel(model_name, provider=provider, profile=profile)


def build_model(config: LLMConfig, *, embedded_base_url: str | None = None) -> Model:
    api_key = config.api_key.get_secret_value() if config.api_key else None
    provider, _, name = config.model.partition(":")
    if provider == "local":
        if not embedded_base_url:
            raise RuntimeError("the embedded model is not running")
        return openai_compatible("local", embedded_base_url, "local", json_schema_output=True)
    if provider == "openai":
        return openai_compatible(name, config.base_url or None, api_key, json_schema_output=bool(config.base_url))
    if provider == "anthropic":
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        return AnthropicModel(name, provider=AnthropicProvider(api_key=api_key))
    if provider == "test":
        from pydantic_ai.models.test import TestModel

        return TestModel()
    raise ValueError(f"llm.model: unknown provider {provider!r}")
