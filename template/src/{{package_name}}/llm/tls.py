"""One TLS context for every provider client in the process.

Each SDK client builds its own httpx client, and httpx loads the CA bundle into a fresh
context for each one: about 45 ms of CPU a time. The app builds a client per provider and
per fallback, and the eval harness one per task, so the context is built once and shared
(an `ssl.SSLContext` is safe to share between clients and threads).
"""

from __future__ import annotations

import functools
import ssl


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Return the shared TLS context, built the first time as httpx builds its default.

    httpx honours SSL_CERT_FILE and SSL_CERT_DIR, else uses certifi's bundle.
    """
    import httpx

    return httpx.create_ssl_context()
