"""The chatbot's tables (SQLAlchemy Core): threads, messages, daily quotas and A/B votes.

`messages.parent_id` makes each thread a tree; `threads.active_leaf_id` names the leaf of the
branch shown and sent to the model.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()
threads = Table(
    "threads",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("title", String(200), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("active_leaf_id", String(40), nullable=True),
    Column("deleted", Boolean, nullable=False, default=False),
)
messages = Table(
    "messages",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("thread_id", String(40), ForeignKey("threads.id"), nullable=False),
    Column("parent_id", String(40), nullable=True),
    Column("role", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("prompt_version", String(80), nullable=False, default=""),
    Column("input_tokens", Integer, nullable=False, default=0),
    Column("output_tokens", Integer, nullable=False, default=0),
    Column("cost_usd", Float, nullable=False, default=0.0),
    Column("latency_ms", Float, nullable=False, default=0.0),
    Column("first_token_ms", Float, nullable=True),
    Column("sources", JSON, nullable=False, default=list),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_messages_thread", "thread_id", "created_at"),
)
quota_usage = Table(
    "quota_usage",
    metadata,
    Column("user_key", String(200), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("count", Integer, nullable=False),
)

ab_votes = Table(
    "ab_votes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("thread_id", String(40), nullable=False),
    Column("message_a", String(40), nullable=False),
    Column("message_b", String(40), nullable=False),
    Column("prompt_a", String(80), nullable=False),
    Column("prompt_b", String(80), nullable=False),
    Column("winner", String(8), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
)
