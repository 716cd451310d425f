"""Replies that break the wire format the same way for every provider (status 200)."""

from __future__ import annotations

from .server import Reply


def not_json() -> Reply:
    """Return a 200 whose JSON body is cut off."""
    return Reply(raw=b'{"id": "chatcmpl-fake", "choices": [{"message": ')


def html_page() -> Reply:
    """Return a 200 HTML page, as a captive portal or a misconfigured proxy sends."""
    page = b"<html><head><title>Gateway</title></head><body><h1>Please log in</h1></body></html>"
    return Reply(raw=page, content_type="text/html; charset=utf-8")


def garbled_stream() -> Reply:
    """Return a 200 event stream whose data is not JSON."""
    return Reply(raw=b"data: {not json\n\n", content_type="text/event-stream")
