// @ts-check
/**
 * The chatbot's panel: a list of threads (search, delete, export), the conversation of the
 * open thread, and a message box. A reply streams token by token (fetch and a ReadableStream
 * reader over the server-sent events of POST threads/{id}/messages); Stop aborts it
 * (AbortController), and the server stores what was said as `stopped`. Under each reply: its
 * status, tokens, cost and first-token latency, the sources it cites when grounded, a
 * Regenerate button, a `< 1/2 >` switcher between sibling versions, and the shared feedback
 * thumbs. Edit turns a user message into a text box in place (Enter saves a new branch,
 * Escape cancels). With A/B ticked, a message is answered by both prompt versions of
 * CHAT_AB_PROMPTS (POST ab), shown unlabelled side by side with a vote.
 *
 * Served at /static/kind/panel.js; the shell (static/app.js) calls `mount(root, api)`.
 * Messages and documents are untrusted text: inserted with textContent, never as markup.
 */

const KEY_STORAGE = "api-key"; // the shell's sessionStorage key (web/app.js)

/** Load the panel's stylesheet once (a file of this app: the page's CSP allows 'self'). */
function addStyles() {
  if (document.querySelector("link[data-chat-panel]")) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = "static/kind/panel.css";
  link.setAttribute("data-chat-panel", "");
  document.head.append(link);
}

/** @returns {Record<string, string>} */
function headers() {
  /** @type {Record<string, string>} */
  const result = { "Content-Type": "application/json", Accept: "text/event-stream" };
  try {
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key) result["X-API-Key"] = key;
  } catch {
    // no storage: no key
  }
  return result;
}

/**
 * Read a server-sent events stream; call `onEvent(kind, data)` per event.
 * @param {Response} response @param {(kind: string, data: any) => void} onEvent
 */
async function readEvents(response, onEvent) {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut = buffer.indexOf("\n\n");
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let kind = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) kind = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      onEvent(kind, data ? JSON.parse(data) : null);
      cut = buffer.indexOf("\n\n");
    }
  }
}

/**
 * The children of each message id (null: the roots), oldest first.
 * @param {any[]} messages @returns {Map<string | null, any[]>}
 */
function childrenOf(messages) {
  const children = new Map();
  for (const message of messages) {
    const key = message.parent_id ?? null;
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(message);
  }
  return children;
}

/**
 * The path from the root to `leafId`, root first.
 * @param {any[]} messages @param {string | null} leafId @returns {any[]}
 */
function branchTo(messages, leafId) {
  const byId = new Map(messages.map((m) => [m.id, m]));
  const path = [];
  let current = leafId ? byId.get(leafId) : undefined;
  while (current) {
    path.unshift(current);
    current = current.parent_id ? byId.get(current.parent_id) : undefined;
  }
  return path;
}

/** @param {HTMLElement} root @param {any} api */
export function mount(root, api) {
  addStyles();
  /** @type {{threadId: string | null, tree: any, controller: AbortController | null}} */
  const state = { threadId: null, tree: null, controller: null };

  const side = api.el("aside", { className: "threads" });
  const search = api.el("input", {
    className: "thread-search",
    attrs: { type: "search", placeholder: "Search threads", "aria-label": "Search threads" },
  });
  const newButton = api.el("button", { className: "new-thread", text: "New thread" });
  const list = api.el("ul", { className: "thread-list" });
  side.append(newButton, search, list);

  const main = api.el("section", { className: "conversation result" });
  const log = api.el("div", { className: "messages", attrs: { "aria-live": "polite" } });
  const samples = api.el("div", { className: "sample-list" });
  const form = api.el("form", { className: "composer" });
  const input = api.el("textarea", {
    attrs: { rows: "3", placeholder: "Ask about plans, billing, SSO…", "aria-label": "Message" },
  });
  const send = api.el("button", { text: "Send", attrs: { type: "submit" } });
  const stop = api.el("button", { className: "stop", text: "Stop", attrs: { type: "button" } });
  stop.hidden = true;
  const abLabel = api.el("label", { className: "ab-toggle", text: " A/B" });
  const abBox = /** @type {HTMLInputElement} */ (api.el("input", { attrs: { type: "checkbox" } }));
  abLabel.prepend(abBox);
  form.append(input, send, stop, abLabel);
  main.append(samples, log, form);
  root.append(side, main);

  async function loadThreads() {
    const q = encodeURIComponent(/** @type {HTMLInputElement} */ (search).value.trim());
    const result = await api.get(`threads?limit=50${q ? `&q=${q}` : ""}`);
    if (!result.ok) return;
    list.replaceChildren();
    for (const thread of result.data) {
      const item = api.el("li", { className: thread.id === state.threadId ? "active" : "" });
      const open = api.el("button", { className: "open", text: thread.title || "(untitled)" });
      open.addEventListener("click", () => openThread(thread.id));
      const exportLink = api.el("a", {
        className: "export",
        text: "Export",
        attrs: { href: `threads/${thread.id}/export?format=md`, download: `${thread.id}.md` },
      });
      const remove = api.el("button", { className: "delete", text: "Delete" });
      remove.addEventListener("click", async () => {
        const response = await fetch(`threads/${thread.id}`, { method: "DELETE", headers: headers() });
        if (!response.ok) api.showError(`The thread could not be deleted (HTTP ${response.status}).`);
        if (state.threadId === thread.id) startNew();
        loadThreads();
      });
      item.append(open, exportLink, remove);
      list.append(item);
    }
  }

  async function loadSamples() {
    const result = await api.get("samples");
    if (!result.ok) return;
    samples.replaceChildren();
    for (const sample of result.data) {
      const button = api.el("button", { text: sample.message });
      button.addEventListener("click", () => submit(sample.message, undefined));
      samples.append(button);
    }
  }

  function startNew() {
    state.threadId = null;
    state.tree = null;
    log.replaceChildren();
    samples.hidden = false;
  }

  /** @param {string} threadId */
  async function openThread(threadId) {
    const result = await api.get(`threads/${threadId}`);
    if (!result.ok) return;
    state.threadId = threadId;
    state.tree = result.data;
    samples.hidden = true;
    render();
    loadThreads();
  }

  /**
   * Open a thread once its reply is stored: after Stop, the server stores the reply when it
   * notices the client went away, a moment later.
   * @param {string} threadId
   */
  async function openStored(threadId) {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      await openThread(threadId);
      const tree = state.tree;
      const leaf = tree ? tree.messages.find((/** @type {any} */ m) => m.id === tree.active_leaf_id) : null;
      if (!leaf || leaf.role === "assistant") return;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  function render() {
    log.replaceChildren();
    const tree = state.tree;
    if (!tree) return;
    const children = childrenOf(tree.messages);
    for (const message of branchTo(tree.messages, tree.active_leaf_id)) {
      log.append(renderMessage(message, children.get(message.parent_id ?? null) ?? []));
    }
  }

  /** @param {any} message @param {any[]} siblings @returns {HTMLElement} */
  function renderMessage(message, siblings) {
    const box = api.el("article", { className: `message ${message.role} status-${message.status}` });
    box.append(api.el("p", { className: "content", text: message.content }));
    const bar = api.el("div", { className: "message-bar" });
    const same = siblings.filter((m) => m.role === message.role);
    if (same.length > 1) {
      const at = same.findIndex((m) => m.id === message.id);
      const prev = api.el("button", { className: "branch", text: "<", attrs: { "aria-label": "Previous version" } });
      const next = api.el("button", { className: "branch", text: ">", attrs: { "aria-label": "Next version" } });
      prev.toggleAttribute("disabled", at <= 0);
      next.toggleAttribute("disabled", at >= same.length - 1);
      prev.addEventListener("click", () => switchTo(same[at - 1].id));
      next.addEventListener("click", () => switchTo(same[at + 1].id));
      bar.append(prev, api.el("span", { className: "branch-count", text: `${at + 1}/${same.length}` }), next);
    }
    if (message.role === "user") {
      const edit = api.el("button", { className: "edit", text: "Edit" });
      edit.addEventListener("click", () => editInline(box, message, edit));
      bar.append(edit);
    } else {
      if (message.status !== "complete") {
        bar.append(api.el("span", { className: "badge", text: message.status }));
      }
      const again = api.el("button", { className: "regenerate", text: "Regenerate" });
      again.addEventListener("click", () => regenerate(message.id));
      bar.append(again);
      api.stats(box, {
        latencyMs: message.latency_ms,
        inputTokens: message.input_tokens,
        outputTokens: message.output_tokens,
        costUsd: message.cost_usd,
        detail: message.first_token_ms == null ? "" : `${Math.round(message.first_token_ms)} ms`,
        detailLabel: "first token",
      });
      renderSources(box, message.sources ?? []);
    }
    box.append(bar);
    return box;
  }

  /**
   * Turn a user message into an editor in place: a text box with Save and Cancel. Enter saves
   * (Shift+Enter starts a new line), Escape cancels, and focus returns to Edit. Saving sends
   * the text as a sibling of the message, a new branch; the old one stays a `<` away.
   * @param {HTMLElement} box @param {any} message @param {HTMLElement} editButton
   */
  function editInline(box, message, editButton) {
    if (state.controller || box.classList.contains("editing")) return;
    const shown = Array.from(box.children);
    const field = /** @type {HTMLTextAreaElement} */ (
      api.el("textarea", { attrs: { rows: "3", "aria-label": "Edit your message" } })
    );
    field.value = message.content;
    const save = api.el("button", { className: "save", text: "Save", attrs: { type: "button" } });
    const cancel = api.el("button", { className: "cancel", text: "Cancel", attrs: { type: "button" } });
    const actions = api.el("div", { className: "editor-actions" });
    actions.append(save, cancel);
    const editor = api.el("div", { className: "editor" });
    editor.append(field, actions);
    for (const child of shown) /** @type {HTMLElement} */ (child).hidden = true;
    box.classList.add("editing");
    box.append(editor);

    function close() {
      editor.remove();
      for (const child of shown) /** @type {HTMLElement} */ (child).hidden = false;
      box.classList.remove("editing");
      editButton.focus();
    }
    function commit() {
      const text = field.value.trim();
      if (!text) return;
      while (box.nextElementSibling) box.nextElementSibling.remove();
      box.remove();
      submit(text, message.parent_id ?? "root");
      input.focus();
    }
    field.addEventListener("input", () => save.toggleAttribute("disabled", !field.value.trim()));
    field.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        commit();
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    save.addEventListener("click", commit);
    cancel.addEventListener("click", close);
    field.focus();
    field.setSelectionRange(field.value.length, field.value.length);
  }

  /** @param {HTMLElement} box @param {any[]} sources */
  function renderSources(box, sources) {
    if (!sources.length) return;
    const details = api.el("details", { className: "sources" });
    details.append(api.el("summary", { text: `Sources (${sources.length})` }));
    for (const source of sources) {
      const item = api.el("div", { className: "source" });
      item.append(api.el("strong", { text: `[${source.n}] ${source.title}` }));
      item.append(api.el("p", { text: source.text }));
      details.append(item);
    }
    box.append(details);
  }

  /** @param {string} messageId */
  async function switchTo(messageId) {
    if (!state.threadId) return;
    const response = await fetch(`threads/${state.threadId}`, {
      method: "PATCH",
      headers: headers(),
      body: JSON.stringify({ active_leaf_id: messageId }),
    });
    if (!response.ok) api.showError(`The branch could not be switched (HTTP ${response.status}).`);
    await openThread(state.threadId);
  }

  /** @param {string} text @param {string | undefined} parentId */
  function submit(text, parentId) {
    const thread = state.threadId ?? "new";
    const body = parentId === undefined ? { content: text } : { content: text, parent_id: parentId };
    const user = api.el("article", { className: "message user" });
    user.append(api.el("p", { className: "content", text }));
    log.append(user);
    stream(`threads/${thread}/messages`, body);
  }

  /** @param {string} messageId */
  function regenerate(messageId) {
    stream(`messages/${messageId}/regenerate`, {});
  }

  /** @param {string} path @param {unknown} body */
  async function stream(path, body) {
    const controller = new AbortController();
    state.controller = controller;
    stop.hidden = false;
    send.toggleAttribute("disabled", true);
    samples.hidden = true;
    const reply = api.el("article", { className: "message assistant streaming" });
    const content = api.el("p", { className: "content" });
    reply.append(content);
    log.append(reply);
    let requestId = null;
    let threadId = state.threadId;
    try {
      const response = await fetch(path, {
        method: "POST",
        headers: headers(),
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      requestId = response.headers.get("X-Request-ID");
      if (!response.ok) {
        let message = `The server answered HTTP ${response.status}.`;
        try {
          const data = await response.json();
          if (data && data.error && data.error.message) message = `${data.error.message} (HTTP ${response.status})`;
        } catch {
          // not JSON
        }
        api.showError(message);
        reply.remove();
        return;
      }
      await readEvents(response, (kind, data) => {
        if (kind === "start") threadId = data.thread_id;
        else if (kind === "token") content.textContent = (content.textContent ?? "") + data.text;
        else if (kind === "done") {
          content.textContent = data.text;
          renderSources(reply, data.sources ?? []); // the cited ones: not every passage retrieved
        }
        else if (kind === "error") api.showError(`The reply failed (${data.status}): ${data.message}`);
      });
    } catch (error) {
      if (!(error instanceof DOMException && error.name === "AbortError")) {
        api.showError(`The reply could not be read: ${error}`);
      }
    } finally {
      state.controller = null;
      stop.hidden = true;
      send.toggleAttribute("disabled", false);
    }
    if (threadId) await openStored(threadId);
    const last = log.lastElementChild;
    if (requestId && last instanceof HTMLElement && last.classList.contains("assistant")) {
      api.feedback(last, requestId);
    }
  }

  /**
   * Answer `text` with both prompt versions (POST ab); show the two replies unlabelled, a
   * and b, with a vote.
   * @param {string} text
   */
  async function compareReplies(text) {
    const body = state.threadId ? { content: text, thread_id: state.threadId } : { content: text };
    send.toggleAttribute("disabled", true);
    const result = await api.post("ab", body);
    send.toggleAttribute("disabled", false);
    if (!result.ok) return;
    await openThread(result.data.thread_id);
    const pair = api.el("section", { className: "ab-pair" });
    for (const reply of result.data.replies) {
      const box = api.el("article", { className: "message assistant ab-reply" });
      box.append(api.el("strong", { text: reply.slot.toUpperCase() }));
      box.append(api.el("p", { className: "content", text: reply.text }));
      pair.append(box);
    }
    const votes = api.el("div", { className: "ab-votes" });
    for (const [winner, label] of [["a", "A is better"], ["b", "B is better"], ["tie", "Tie"]]) {
      const button = api.el("button", { text: label });
      button.addEventListener("click", async () => {
        const voted = await api.post(`ab/${result.data.vote_id}/vote`, { winner });
        if (voted.ok) votes.replaceChildren(api.el("span", { text: "Thanks, vote recorded." }));
      });
      votes.append(button);
    }
    pair.append(votes);
    log.append(pair);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const field = /** @type {HTMLTextAreaElement} */ (input);
    const text = field.value.trim();
    if (!text) return;
    field.value = "";
    if (abBox.checked) compareReplies(text);
    else submit(text, undefined);
  });
  stop.addEventListener("click", () => state.controller?.abort());
  newButton.addEventListener("click", () => {
    startNew();
    loadThreads();
  });
  search.addEventListener("input", () => loadThreads());
  api.onKey(() => {
    loadThreads();
    loadSamples();
  });
  loadSamples();
  loadThreads();
}
