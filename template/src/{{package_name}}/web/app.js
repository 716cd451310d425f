// @ts-check
/**
 * The page shell: the API helper, the API-key prompt, the error banner, the stats line and
 * the feedback thumbs. The kind's panel (static/kind/panel.js) exports `mount(root, api)`
 * and reaches the server and the page only through the `api` object built here.
 *
 * Every text that comes from the server is inserted with `textContent` (or as a text node),
 * never parsed as markup: answers and documents are untrusted text (docs/decisions/0014).
 */

const KEY_STORAGE = "api-key";
const MISSING_ROUTE = "Not Found"; // the message of the 404 for a route the server lacks

/**
 * @typedef {object} ApiResult
 * @property {boolean} ok
 * @property {number} status HTTP status, or 0 when the server could not be reached
 * @property {any} data the JSON body, or null
 * @property {string | null} requestId the X-Request-ID of the response
 * @property {string} message what went wrong, for people; empty when ok
 */

/**
 * @typedef {object} Stats
 * @property {number} latencyMs
 * @property {number} [inputTokens]
 * @property {number} [outputTokens]
 * @property {number} [costUsd]
 * @property {string} [detail] one more labelled fact, e.g. the prompt version
 * @property {string} [detailLabel]
 */

/**
 * Create an element; `text` becomes its textContent, never markup.
 * @param {string} tag
 * @param {{className?: string, text?: string, attrs?: Record<string, string>}} [options]
 * @returns {HTMLElement}
 */
export function el(tag, options = {}) {
  const element = document.createElement(tag);
  if (options.className) element.className = options.className;
  if (options.text !== undefined) element.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) {
    element.setAttribute(name, value);
  }
  return element;
}

/** @param {string} id @returns {HTMLElement} */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

const banner = byId("banner");
const keyForm = /** @type {HTMLFormElement} */ (byId("key-form"));
const keyInput = /** @type {HTMLInputElement} */ (byId("key-input"));
const keyMessage = byId("key-message");
/** @type {Array<() => void>} */
const keyListeners = [];

/** @returns {string} */
function storedKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? "";
  } catch {
    return "";
  }
}

/** @param {string} message */
function showError(message) {
  banner.textContent = message;
  banner.hidden = false;
}

function clearError() {
  banner.textContent = "";
  banner.hidden = true;
}

/** @param {string} message */
function askForKey(message) {
  keyMessage.textContent = message;
  keyForm.hidden = false;
  keyInput.focus();
}

keyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) {
    keyMessage.textContent = "Enter the API key first.";
    return;
  }
  sessionStorage.setItem(KEY_STORAGE, key);
  keyInput.value = "";
  keyForm.hidden = true;
  clearError();
  for (const listener of keyListeners) listener();
});

/**
 * Turn an error body (`{"error": {"type", "message", "request_id"}}`) into one line.
 * @param {number} status @param {any} data @returns {string}
 */
function describeError(status, data) {
  const error = data && typeof data === "object" ? data.error : null;
  const text = error && typeof error.message === "string" ? error.message : "";
  return text ? `${text} (HTTP ${status})` : `The server answered HTTP ${status}.`;
}

/**
 * Call the API with the stored key; a 401 opens the key prompt and says why.
 * @param {string} method @param {string} path relative to the page, e.g. "ask"
 * @param {unknown} [body] sent as JSON
 * @returns {Promise<ApiResult>}
 */
async function request(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const key = storedKey();
  if (key) headers["X-API-Key"] = key;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    const message = "The server could not be reached. Check that it is running, then try again.";
    showError(message);
    return { ok: false, status: 0, data: null, requestId: null, message };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  const message = response.ok ? "" : describeError(response.status, data);
  if (response.status === 401) {
    if (key) {
      sessionStorage.removeItem(KEY_STORAGE);
      askForKey("The API key was refused (401 Unauthorized). Check it and enter it again.");
    } else {
      askForKey("This server needs an API key (401 Unauthorized). Enter it to continue.");
    }
  } else if (response.ok) {
    clearError();
  }
  const requestId = response.headers.get("X-Request-ID");
  return { ok: response.ok, status: response.status, data, requestId, message };
}

/** @param {number} value @param {number} digits */
function fixed(value, digits) {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/**
 * Append the stats line: latency, tokens and cost of one answer.
 * @param {HTMLElement} parent @param {Stats} stats
 */
function renderStats(parent, stats) {
  const list = el("dl", { className: "stats", attrs: { "aria-label": "Request statistics" } });
  /** @type {Array<[string, string]>} */
  const facts = [
    ["Latency", `${fixed(stats.latencyMs, 0)} ms`],
    ["Tokens", `${stats.inputTokens ?? 0} in, ${stats.outputTokens ?? 0} out`],
    ["Cost", `$${fixed(stats.costUsd ?? 0, 6)}`],
  ];
  if (stats.detail) facts.push([stats.detailLabel ?? "Detail", stats.detail]);
  for (const [label, value] of facts) {
    const item = el("div");
    item.append(el("dt", { text: label }), el("dd", { text: value }));
    list.append(item);
  }
  parent.append(list);
}

const SVG = "http://www.w3.org/2000/svg";
const THUMB = "M2 10h4v11H2z M8 10l4-8c1.7 0 3 1.3 3 3v3h5.5c1.4 0 2.4 1.3 2 2.6l-2.3 8c-.3.9-1.1 1.4-2 1.4H8z";

/** @returns {SVGSVGElement} */
function thumbIcon() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", THUMB);
  svg.append(path);
  return svg;
}

/**
 * Say what a feedback response means, for each outcome the contract allows.
 * @param {ApiResult} result @returns {[string, boolean]} the message, and whether it worked
 */
function feedbackOutcome(result) {
  if (result.status === 201) return ["Thanks, your feedback was recorded.", true];
  if (result.status === 401) return ["Enter the API key above, then send the feedback again.", false];
  const missing = result.status === 404 && result.data?.error?.message === MISSING_ROUTE;
  if (missing || result.status === 405 || result.status === 501) {
    return ["This server does not accept feedback (it has no POST /feedback endpoint).", false];
  }
  if (result.status === 404) {
    return [
      "The server no longer knows this answer (it may have restarted), so the feedback was not recorded.",
      false,
    ];
  }
  if (result.status === 0) return ["The server could not be reached; the feedback was not sent.", false];
  return [`The feedback was not recorded: ${result.message}`, false];
}

/**
 * Append thumbs up/down and an optional comment that POST /feedback for one response.
 * @param {HTMLElement} parent @param {string | null} requestId the rated response's X-Request-ID
 */
function renderFeedback(parent, requestId) {
  const box = el("div", { className: "feedback" });
  const question = el("p", { className: "feedback-question", text: "Was this answer useful?" });
  const thumbs = el("div", { className: "thumbs", attrs: { role: "group" } });
  question.id = `feedback-${requestId ?? "none"}`;
  thumbs.setAttribute("aria-labelledby", question.id);
  const up = el("button", { className: "up", attrs: { type: "button", "aria-pressed": "false" } });
  const down = el("button", { className: "down", attrs: { type: "button", "aria-pressed": "false" } });
  up.append(thumbIcon(), el("span", { text: "Yes" }));
  down.append(thumbIcon(), el("span", { text: "No" }));
  thumbs.append(up, down);
  const commentBox = el("div", { className: "feedback-comment" });
  commentBox.hidden = true;
  const commentId = `${question.id}-comment`;
  const comment = /** @type {HTMLTextAreaElement} */ (
    el("textarea", { attrs: { id: commentId, maxlength: "2000", rows: "2" } })
  );
  const send = el("button", { className: "primary", text: "Send feedback", attrs: { type: "button" } });
  commentBox.append(el("label", { text: "Comment (optional)", attrs: { for: commentId } }), comment);
  const status = el("p", { className: "feedback-status", attrs: { role: "status" } });
  /** @type {"up" | "down" | null} */
  let rating = null;

  /** @param {"up" | "down"} chosen */
  const choose = (chosen) => {
    rating = chosen;
    up.setAttribute("aria-pressed", String(chosen === "up"));
    down.setAttribute("aria-pressed", String(chosen === "down"));
    commentBox.hidden = false;
    send.hidden = false;
  };
  up.addEventListener("click", () => choose("up"));
  down.addEventListener("click", () => choose("down"));
  send.hidden = true;
  send.addEventListener("click", async () => {
    if (!rating || !requestId) return;
    /** @type {Record<string, string>} */
    const body = { request_id: requestId, rating };
    if (comment.value.trim()) body.comment = comment.value.trim();
    send.setAttribute("disabled", "");
    const result = await request("POST", "feedback", body);
    const [message, worked] = feedbackOutcome(result);
    status.textContent = message;
    status.className = `feedback-status ${worked ? "ok" : "problem"}`;
    if (worked) {
      for (const control of [up, down, comment]) control.setAttribute("disabled", "");
      send.hidden = true;
    } else {
      send.removeAttribute("disabled");
    }
  });
  box.append(question, thumbs, commentBox, send, status);
  if (!requestId) {
    status.textContent = "This answer has no request id, so it cannot be rated.";
    for (const control of [up, down]) control.setAttribute("disabled", "");
  }
  parent.append(box);
}

/** The helper every panel receives as `api`. */
export const api = {
  /** @param {string} path */
  get: (path) => request("GET", path),
  /** @param {string} path @param {unknown} body */
  post: (path, body) => request("POST", path, body),
  el,
  stats: renderStats,
  feedback: renderFeedback,
  showError,
  /** Run `listener` each time a new API key is entered. @param {() => void} listener */
  onKey: (listener) => keyListeners.push(listener),
};

async function main() {
  const root = byId("panel");
  try {
    const panel = await import("./kind/panel.js");
    panel.mount(root, api);
  } catch (error) {
    showError(`The page could not start its panel: ${error}`);
  }
}

main();
