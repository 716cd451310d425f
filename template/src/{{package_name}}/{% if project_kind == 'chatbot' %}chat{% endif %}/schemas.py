"""The chatbot API's request and response bodies (pydantic), validated and size-limited."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .records import Winner


class ThreadCreate(BaseModel):
    """A new thread, with an optional title (else the first message names it)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="", max_length=200)


class ThreadPatch(BaseModel):
    """Rename a thread, or switch the branch it shows (any message of the branch)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=200)
    active_leaf_id: str | None = Field(default=None, max_length=64)


class MessageIn(BaseModel):
    """A user message; `parent_id` puts it under another reply (an edit), or `root`."""

    model_config = ConfigDict(extra="forbid")

    content: str = Field(max_length=100_000, description="The message (CHAT_MAX_MESSAGE_CHARS).")
    parent_id: str | None = Field(default=None, max_length=64)


class ThreadOut(BaseModel):
    """A thread as lists show it."""

    id: str
    title: str
    created_at: str
    updated_at: str
    active_leaf_id: str | None


class MessageOut(BaseModel):
    """One message of a thread's tree."""

    id: str
    thread_id: str
    parent_id: str | None
    role: Literal["user", "assistant"]
    content: str
    status: str
    created_at: str
    prompt_version: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: float
    first_token_ms: float | None
    sources: list[dict[str, Any]]


class TreeOut(ThreadOut):
    """A thread with every message of every branch."""

    messages: list[MessageOut]


class SampleOut(BaseModel):
    """A sample first message for the web page, and whether the bot answers or refuses it."""

    message: str
    expect: Literal["answer", "refusal"]


class ABIn(BaseModel):
    """A message to answer with both prompt versions of `CHAT_AB_PROMPTS`."""

    model_config = ConfigDict(extra="forbid")

    thread_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    content: str = Field(max_length=100_000)


class VoteIn(BaseModel):
    """Which of the two replies was better."""

    model_config = ConfigDict(extra="forbid")

    winner: Winner
