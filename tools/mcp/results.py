"""What an MCP call returned, as a step result: text joined, `structuredContent` kept as the
result, images kept (bounded) for surfaces that can show them, `isError` as a failure, and long
text cut to a head and a tail like runbook output. The text is data, never instructions: it goes
to the planner as a result, never as a prompt of its own."""

from __future__ import annotations

import json
from typing import Any

from mcp.types import CallToolResult, EmbeddedResource, ImageContent, ResourceLink, TextContent
from pydantic import BaseModel

MAX_IMAGES = 4
MAX_IMAGE_BASE64 = 512 * 1024  # per image, about 384 kB decoded
MAX_STRUCTURED = 64 * 1024  # characters of JSON


class MCPToolFailed(Exception):
    """The server answered `isError`: the step fails with the server's own text."""


class ImagePart(BaseModel):
    mime_type: str
    data: str = ""  # base64; empty when it was too large to keep
    bytes: int = 0
    text: str = ""  # what perception read in it (OCR, a description), as data for the planner


class MCPToolResult(BaseModel):
    """One call's outcome. `result_data()` is what the step stores and the planner sees."""

    text: str = ""
    structured: Any = None
    images: list[ImagePart] = []
    omitted: list[str] = []

    def result_data(self) -> Any:
        if self.structured is not None and not self.images:
            return self.structured
        if not self.images and not self.omitted:
            return self.text
        return self.model_dump(mode="json", exclude_defaults=True)

    def summary(self) -> str:
        parts = [self.text.strip()] if self.text.strip() else []
        parts += [f"[image {image.mime_type}, {image.bytes} bytes" + (f": {image.text[:500]}]" if image.text else "]")
                  for image in self.images]
        parts += [f"[{note}]" for note in self.omitted]
        if not parts and self.structured is not None:
            parts.append(json.dumps(self.structured, ensure_ascii=False, default=str))
        return "\n".join(parts) or "done (no content)"


def head_and_tail(text: str, limit: int) -> str:
    """At most about `limit` characters: the start and the end, with what was left out said."""
    if len(text) <= limit:
        return text
    head, tail = text[: limit // 2], text[-(limit - limit // 2) :]
    return f"{head}\n… {len(text) - len(head) - len(tail)} characters omitted …\n{tail}"


def tool_result(result: CallToolResult, *, output_limit: int) -> MCPToolResult:
    """Convert, or raise `MCPToolFailed` with the server's text for an `isError` result."""
    texts: list[str] = []
    images: list[ImagePart] = []
    omitted: list[str] = []
    for block in result.content:
        if isinstance(block, TextContent):
            texts.append(block.text)
        elif isinstance(block, ImageContent):
            size = len(block.data) * 3 // 4
            if len(images) >= MAX_IMAGES or len(block.data) > MAX_IMAGE_BASE64:
                images.append(ImagePart(mime_type=block.mime_type, bytes=size))
                omitted.append(f"image {block.mime_type} of {size} bytes not kept (too large or too many)")
            else:
                images.append(ImagePart(mime_type=block.mime_type, data=block.data, bytes=size))
        elif isinstance(block, ResourceLink):
            texts.append(f"[resource {block.uri}]")
        elif isinstance(block, EmbeddedResource):
            text = getattr(block.resource, "text", None)
            texts.append(text if isinstance(text, str) else f"[resource {block.resource.uri}]")
        else:
            omitted.append(f"{getattr(block, 'type', 'unknown')} content not shown")
    text = head_and_tail("\n".join(texts), output_limit)
    if result.is_error:
        raise MCPToolFailed(text.strip() or "the tool reported an error without a message")
    # with images, the content blocks are the answer; SDK servers also echo them (base64 and
    # all) as structured content, which would only double the size
    structured = None if images else result.structured_content
    if structured is not None and len(json.dumps(structured, default=str)) > MAX_STRUCTURED:
        structured = None
        omitted.append(f"structured content larger than {MAX_STRUCTURED} characters not kept")
    return MCPToolResult(text=text, structured=structured, images=images, omitted=omitted)
