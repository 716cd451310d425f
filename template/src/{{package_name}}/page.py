"""The web page at `/`: a static shell and the kind's panel, served by the app itself.

No CDN, no build step: `web/index.html`, `web/style.css` and `web/app.js` (an ES module) ship
inside the package and are served under `/static/`; the kind's panel, `<kind>/web/panel.js`,
under `/static/kind/`. None of them needs an API key: the page asks for one only when the
kind's routes answer 401. Why this design: docs/decisions/0014.
"""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

WEB_DIR = Path(__file__).parent / "web"
STATIC_PATH = "/static"
KIND_STATIC_PATH = "/static/kind"

# The page loads only its own files and talks only to its own origin. Inline scripts and
# styles are refused too: server text can never become markup that runs (docs/decisions/0014).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def kind_web_dir(kind_module: str) -> Path:
    """Return the folder of the kind's page assets (`<kind>/web/`, holding `panel.js`)."""
    return Path(__file__).parent / kind_module / "web"


def wants_html(request: Request) -> bool:
    """Tell whether the client asked for HTML (a browser) rather than JSON (an API client)."""
    return "text/html" in request.headers.get("accept", "")


def render_page(*, page_title: str, service_name: str) -> str:
    """Return `web/index.html` with the kind's title and the service name filled in, escaped."""
    template = Template((WEB_DIR / "index.html").read_text(encoding="utf-8"))
    return template.substitute(
        page_title=html.escape(page_title), service=html.escape(service_name)
    )


def install_page(app: FastAPI, *, service_name: str, kind_web: Path, page_title: str) -> None:
    """Serve the page at `/` and its assets under `/static/`; add them before auth is set up.

    `kind_web` is the folder of the kind's panel (`kind_web_dir(...)`), served under
    `/static/kind/`.

    `GET /` answers the page to browsers (`Accept: text/html`) and the service description
    as JSON to everyone else, as it did before the page existed.
    """
    page = render_page(page_title=page_title, service_name=service_name)
    app.mount(KIND_STATIC_PATH, StaticFiles(directory=kind_web), name="kind")
    app.mount(STATIC_PATH, StaticFiles(directory=WEB_DIR), name="static")

    @app.get(
        "/",
        tags=["service"],
        responses={200: {"content": {"text/html": {}, "application/json": {}}}},
    )
    def index(request: Request) -> Response:
        """Serve the web page to browsers, or describe the service as JSON."""
        if wants_html(request):
            return HTMLResponse(page, headers=PAGE_HEADERS)
        return JSONResponse(
            {"service": service_name, "page": "/", "docs": "/docs", "health": "/healthz"}
        )
