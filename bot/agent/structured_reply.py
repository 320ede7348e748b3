"""One structured reply from a model, through pydantic-ai's direct request API, sent back once if it does not fit.

The planner needs a single request and a single validated object, not an agent run: no function
tools, no conversation state, no capabilities. pydantic-ai's `Agent.run` builds its run graph,
run contexts and hooks for every call (about 4 ms of CPU here, against 0.07 ms for the request
itself, measured in `bench/pipeline.py`), so a planned turn spent most of its CPU outside both
the model and the bot. `pydantic_ai.direct.model_request` sends the same messages, instructions,
output tool (or JSON-schema `response_format`) and settings to the same `Model`; what the
agent did on top is done here: read the output tool's arguments (or the text), validate them
into the reply type, and on a bad reply send the errors back once as a `RetryPromptPart`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_ai.direct import model_request, model_request_stream
from pydantic_ai.exceptions import UnexpectedModelBehavior
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelRequestPart,
    ModelResponse,
    RetryFeedbackPart,
    RetryInfo,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.output import OutputObjectDefinition
from pydantic_ai.settings import ModelSettings
from pydantic_ai.tools import ToolDefinition

Reply = TypeVar("Reply", bound=BaseModel)

OUTPUT_TOOL = "final_result"  # the output tool's name, as pydantic-ai's agent names it


@dataclass(frozen=True)
class ReplyShape(Generic[Reply]):
    """What the model must answer with: a JSON schema (sent), the type it validates into (kept),
    and whether it travels as an output tool call or as JSON-schema text (`native`)."""

    reply_type: type[Reply]
    schema: dict[str, Any]
    name: str
    description: str
    native: bool = False
    parameters: ModelRequestParameters = field(init=False, compare=False)

    def __post_init__(self) -> None:
        if self.native:
            parameters = ModelRequestParameters(
                output_mode="native", output_object=OutputObjectDefinition(
                    json_schema=self.schema, name=self.name, description=self.description))
        else:
            parameters = ModelRequestParameters(
                output_mode="tool", allow_text_output=False, output_tools=[ToolDefinition(
                    name=OUTPUT_TOOL, description=self.description, parameters_json_schema=self.schema,
                    kind="output")])
        object.__setattr__(self, "parameters", parameters)


async def structured_reply(model: Model, prompt: str, shape: ReplyShape[Reply], *, instructions: str,
                           settings: ModelSettings | None = None, retries: int = 1, stream: bool = False) -> Reply:
    """Ask once; a reply that does not validate is sent back with its errors, at most `retries`
    times, then raised as `UnexpectedModelBehavior` (as pydantic-ai's agent does). Provider
    errors (HTTP, connection, timeouts) propagate unchanged."""
    messages: list[ModelMessage] = [ModelRequest(parts=[UserPromptPart(prompt)], instructions=instructions)]
    for attempt in range(retries + 1):
        response = await _request(model, messages, settings, shape.parameters, stream=stream)
        reply, retry = _read(response, shape)
        if retry is None:
            assert reply is not None
            return reply
        if attempt == retries:
            break
        messages += [response, ModelRequest(parts=[retry], instructions=instructions)]
    raise UnexpectedModelBehavior(f"Exceeded maximum retries ({retries}) for output validation")


async def _request(model: Model, messages: list[ModelMessage], settings: ModelSettings | None,
                   parameters: ModelRequestParameters, *, stream: bool) -> ModelResponse:
    if not stream:
        return await model_request(model, messages, model_settings=settings, model_request_parameters=parameters)
    async with model_request_stream(model, messages, model_settings=settings,
                                    model_request_parameters=parameters) as streamed:
        async for _ in streamed:  # used once it is whole
            pass
        return streamed.get()


def _read(response: ModelResponse, shape: ReplyShape[Reply]) -> tuple[Reply | None, ModelRequestPart | None]:
    """(the validated reply, None) or (None, what to send back: the errors, as the agent words them)."""
    if shape.native:
        text = "".join(part.content for part in response.parts if isinstance(part, TextPart))
        try:
            return shape.reply_type.model_validate_json(text), None
        except ValidationError as exc:
            return None, RetryFeedbackPart(_errors(exc), retry=RetryInfo("validation_error"))
    calls = [part for part in response.parts if isinstance(part, ToolCallPart)]
    call = next((part for part in calls if part.tool_name == OUTPUT_TOOL), None)
    if call is None:
        if calls:
            return None, ToolReturnPart(calls[0].tool_name, f"Unknown tool name: {calls[0].tool_name!r}. "
                                        f"Available tools: {OUTPUT_TOOL!r}", calls[0].tool_call_id,
                                        outcome="retried", retry=RetryInfo("unknown_tool"))
        return None, RetryFeedbackPart("Please include your response in a tool call.", retry=RetryInfo("no_output"))
    try:
        if isinstance(call.args, str):
            return shape.reply_type.model_validate_json(call.args or "{}"), None
        return shape.reply_type.model_validate(call.args or {}), None
    except ValidationError as exc:
        return None, ToolReturnPart(call.tool_name, _errors(exc), call.tool_call_id, outcome="retried",
                                    retry=RetryInfo("validation_error"))


def _errors(exc: ValidationError) -> str:
    """The validation errors as the model is shown them (at most three)."""
    errors = exc.errors(include_url=False, include_context=False)
    lines = [f"- {'.'.join(map(str, error['loc'])) or 'reply'}: {error['msg']}" for error in errors[:3]]
    return (f"Validation feedback: the reply does not fit the schema ({len(errors)} problem(s)):\n"
            + "\n".join(lines) + "\nFix the errors and try again.")
