// @ts-check
/**
 * The agent's panel: give it a task (or pick a sample), then watch the run step by step:
 * each model call with its tokens, cost and latency, each tool call with its arguments and
 * result, each decision. A run that waits for a person shows the calls it proposes with
 * Approve and Reject buttons (and a note for the model); then the final message, the status
 * and the run's totals. Recent runs reopen with one click, so a paused run can be decided
 * after a reload or a restart.
 *
 * Served at /static/kind/panel.js; the shell (static/app.js) calls `mount(root, api)`.
 * Tasks, tool results and answers are untrusted text: inserted as text, never as markup.
 */

const STATUS_TEXT = {
  completed: "Completed",
  paused: "Waiting for your approval",
  max_steps: "Stopped: step limit",
  max_tool_calls: "Stopped: tool-call limit",
  timeout: "Stopped: time limit",
  budget_exceeded: "Stopped: budget spent",
  error: "Failed",
  running: "Running",
};
const RESULT_PREVIEW = 400; // characters of a tool result shown before "Show all"

/** Load the panel's stylesheet once (a file of this app: the page's CSP allows 'self'). */
function addStyles() {
  if (document.querySelector("link[data-agent-panel]")) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = "static/kind/panel.css";
  link.setAttribute("data-agent-panel", "");
  document.head.append(link);
}

/**
 * @param {any} api @param {string} status @returns {HTMLElement}
 */
function statusBadge(api, status) {
  const text = STATUS_TEXT[/** @type {keyof typeof STATUS_TEXT} */ (status)] ?? status;
  return api.el("span", { className: `status status-${status}`, text });
}

/**
 * Format a value as indented JSON text (for arguments).
 * @param {unknown} value @returns {string}
 */
function pretty(value) {
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

/**
 * A block of preformatted text; long text is cut, with a button to show all of it.
 * @param {any} api @param {string} text @param {string} className @returns {HTMLElement}
 */
function textBlock(api, text, className) {
  const block = api.el("pre", { className, text: text.length > RESULT_PREVIEW ? `${text.slice(0, RESULT_PREVIEW)}…` : text });
  if (text.length <= RESULT_PREVIEW) return block;
  const wrap = api.el("div");
  const more = api.el("button", { className: "link", text: "Show all", attrs: { type: "button" } });
  more.addEventListener("click", () => {
    block.textContent = text;
    more.remove();
  });
  wrap.append(block, more);
  return wrap;
}

/**
 * One step of the run as a list item.
 * @param {any} api @param {any} step @returns {HTMLElement}
 */
function stepItem(api, step) {
  const item = api.el("li", { className: `step step-${step.kind}` });
  const head = api.el("p", { className: "step-head" });
  if (step.kind === "model") {
    head.append(api.el("span", { className: "step-kind", text: "Model" }), api.el("span", { className: "step-name", text: String(step.name) }));
    const facts = `${step.tokens_in} in, ${step.tokens_out} out tokens · $${Number(step.cost_usd).toFixed(6)} · ${Number(step.latency_ms).toFixed(1)} ms`;
    head.append(api.el("span", { className: "step-meta", text: facts }));
    item.append(head);
    if (step.result) item.append(api.el("p", { className: "step-thought", text: String(step.result) }));
    return item;
  }
  if (step.kind === "approval") {
    const verb = step.status === "approved" ? "Approved" : "Rejected";
    head.append(api.el("span", { className: "step-kind", text: "Person" }), api.el("span", { className: "step-name", text: `${verb}: ${step.name}` }));
    item.append(head);
    if (step.result) item.append(api.el("p", { className: "step-thought", text: `Note: ${step.result}` }));
    return item;
  }
  head.append(
    api.el("span", { className: "step-kind", text: "Tool" }),
    api.el("span", { className: "step-name", text: String(step.name) }),
    api.el("span", { className: `outcome outcome-${step.status}`, text: String(step.status).replace(/_/g, " ") }),
    api.el("span", { className: "step-meta", text: `${Number(step.latency_ms).toFixed(1)} ms` }),
  );
  item.append(head);
  item.append(api.el("p", { className: "step-label", text: "Arguments" }));
  item.append(textBlock(api, step.arguments === null ? "(not valid JSON)" : pretty(step.arguments), "step-arguments"));
  item.append(api.el("p", { className: "step-label", text: "Result" }));
  item.append(textBlock(api, String(step.result ?? ""), "step-result"));
  return item;
}

/**
 * The box of a paused run: the calls it proposes, a note, Approve and Reject.
 * @param {any} api @param {any} run @param {(verb: string, note: string) => Promise<void>} decide
 * @returns {HTMLElement}
 */
function approvalBox(api, run, decide) {
  const box = api.el("section", { className: "approval", attrs: { "aria-labelledby": `approval-${run.id}` } });
  box.append(api.el("h3", { text: "The agent proposes", attrs: { id: `approval-${run.id}` } }));
  const list = api.el("ul", { className: "pending" });
  for (const call of run.pending) {
    const item = api.el("li");
    let args = String(call.arguments);
    try {
      args = pretty(JSON.parse(args));
    } catch {
      // shown as the model sent it
    }
    item.append(api.el("p", { className: "step-name", text: String(call.name) }), api.el("pre", { className: "step-arguments", text: args }));
    list.append(item);
  }
  const noteId = `note-${run.id}`;
  const note = /** @type {HTMLTextAreaElement} */ (api.el("textarea", { attrs: { id: noteId, rows: "2", maxlength: "2000" } }));
  const approve = api.el("button", { className: "primary", text: "Approve", attrs: { type: "button" } });
  const reject = api.el("button", { className: "danger", text: "Reject", attrs: { type: "button" } });
  const buttons = api.el("div", { className: "row decisions" });
  buttons.append(approve, reject);
  /** @param {string} verb */
  const send = async (verb) => {
    approve.setAttribute("disabled", "");
    reject.setAttribute("disabled", "");
    await decide(verb, note.value.trim());
    approve.removeAttribute("disabled");
    reject.removeAttribute("disabled");
  };
  approve.addEventListener("click", () => send("approve"));
  reject.addEventListener("click", () => send("reject"));
  box.append(list, api.el("label", { text: "Note for the agent (optional)", attrs: { for: noteId } }), note, buttons);
  return box;
}

/**
 * Render a run: status, steps, what it waits for or its final message, totals, feedback.
 * @param {any} api @param {any} run @param {string | null} requestId
 * @param {(verb: string, note: string) => Promise<void>} decide @returns {HTMLElement}
 */
function runView(api, run, requestId, decide) {
  const article = api.el("article", { className: `run run-${run.status}`, attrs: { "data-run-id": String(run.id) } });
  const head = api.el("div", { className: "run-head" });
  head.append(api.el("h2", { text: "Run" }), statusBadge(api, String(run.status)));
  article.append(head, api.el("p", { className: "run-task", text: String(run.task) }));
  const steps = api.el("ol", { className: "steps", attrs: { "aria-label": "Steps" } });
  for (const step of run.steps ?? []) steps.append(stepItem(api, step));
  article.append(steps);
  if (run.status === "paused") {
    article.append(approvalBox(api, run, decide));
  } else {
    article.append(api.el("h3", { text: "Final message" }), api.el("p", { className: "final", text: String(run.final) }));
  }
  api.stats(article, {
    latencyMs: Number(run.latency_ms),
    inputTokens: run.usage?.input_tokens ?? 0,
    outputTokens: run.usage?.output_tokens ?? 0,
    costUsd: Number(run.cost_usd),
    detailLabel: "Steps",
    detail: `${run.model_calls} model calls, ${run.tool_calls} tool calls`,
  });
  article.append(api.el("p", { className: "run-id hint", text: `Run ${run.id} · thread ${run.thread_id} · ${run.prompt_version}` }));
  if (run.status !== "paused" && requestId) api.feedback(article, requestId);
  return article;
}

/**
 * Mount the panel into `root`.
 * @param {HTMLElement} root @param {any} api the shell's helper (static/app.js)
 */
export function mount(root, api) {
  addStyles();
  const intro = api.el("p", {
    className: "intro",
    text:
      "Give the support agent a task about Northwind Cloud's customers, invoices, plans or tickets. " +
      "It looks things up, reads the policy and proposes an action; refunds and plan changes wait for your approval.",
  });
  const samples = api.el("section", { className: "samples", attrs: { "aria-labelledby": "samples-title" } });
  samples.append(api.el("h2", { text: "Try a sample task", attrs: { id: "samples-title" } }));
  const sampleList = api.el("ul", { className: "sample-list" });
  samples.append(sampleList);

  const form = /** @type {HTMLFormElement} */ (api.el("form", { className: "ask-form" }));
  const task = /** @type {HTMLTextAreaElement} */ (
    api.el("textarea", { attrs: { id: "task", name: "task", rows: "3", maxlength: "4000", required: "" } })
  );
  const button = /** @type {HTMLButtonElement} */ (api.el("button", { className: "primary", text: "Run", attrs: { type: "submit" } }));
  const row = api.el("div", { className: "row" });
  row.append(task, button);
  form.append(
    api.el("label", { text: "Task", attrs: { for: "task" } }),
    row,
    api.el("p", { className: "hint", text: "Enter runs it; Shift+Enter starts a new line." }),
  );
  const recent = api.el("section", { className: "recent", attrs: { "aria-labelledby": "recent-title" } });
  recent.append(api.el("h2", { text: "Recent runs", attrs: { id: "recent-title" } }));
  const recentList = api.el("ul", { className: "recent-list" });
  recent.append(recentList);
  const result = api.el("div", { className: "result", attrs: { id: "result", "aria-live": "polite", "aria-busy": "false" } });
  result.append(api.el("p", { className: "hint", text: "Pick a sample task or write your own: the run appears here, step by step." }));
  const controls = api.el("div", { className: "controls" });
  controls.append(intro, samples, form, recent);
  root.append(controls, result);

  /** @param {string} message */
  const busy = (message) => {
    result.setAttribute("aria-busy", "true");
    result.replaceChildren(api.el("p", { className: "hint", text: message }));
  };

  /** @param {any} response */
  const show = (response) => {
    result.setAttribute("aria-busy", "false");
    if (response.ok) {
      const run = response.data;
      result.replaceChildren(runView(api, run, response.requestId, (verb, note) => decide(run.id, verb, note)));
      loadRecent();
    } else if (response.status === 401) {
      result.replaceChildren(api.el("p", { className: "hint", text: "Enter the API key above, then try again." }));
    } else {
      result.replaceChildren(api.el("p", { className: "error", text: response.message }));
    }
  };

  /** @param {string} runId @param {string} verb @param {string} note */
  const decide = async (runId, verb, note) => {
    const body = note ? { note } : {};
    const response = await api.post(`runs/${encodeURIComponent(runId)}/${verb}`, body);
    show(response);
  };

  /** @param {string} text */
  const start = async (text) => {
    const trimmed = text.trim();
    if (!trimmed) return;
    button.disabled = true;
    busy("The agent is working on it…");
    const response = await api.post("runs", { task: trimmed });
    button.disabled = false;
    show(response);
  };

  /** @param {string} runId */
  const open = async (runId) => {
    busy("Loading the run…");
    show(await api.get(`runs/${encodeURIComponent(runId)}`));
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    start(task.value);
  });
  task.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  const loadRecent = async () => {
    const response = await api.get("runs?limit=5");
    if (!response.ok || !Array.isArray(response.data)) return;
    recentList.replaceChildren();
    if (!response.data.length) recentList.append(api.el("li", { className: "hint", text: "No runs yet." }));
    for (const run of response.data) {
      const item = api.el("li");
      const open_ = api.el("button", { className: "recent-run", attrs: { type: "button" } });
      open_.append(statusBadge(api, String(run.status)), api.el("span", { className: "recent-task", text: String(run.task) }));
      open_.addEventListener("click", () => open(String(run.id)));
      item.append(open_);
      recentList.append(item);
    }
  };

  const loadSamples = async () => {
    const response = await api.get("samples");
    if (!response.ok || !Array.isArray(response.data)) {
      if (response.status !== 401) sampleList.replaceChildren(api.el("li", { className: "hint", text: "No sample tasks." }));
      return;
    }
    sampleList.replaceChildren();
    for (const sample of response.data) {
      const item = api.el("li");
      const sampleButton = api.el("button", { text: String(sample.task), attrs: { type: "button" } });
      const tag = sample.expect === "approval" ? "pauses for your approval" : "ends on its own";
      sampleButton.append(api.el("span", { className: "tag", text: tag }));
      sampleButton.addEventListener("click", () => {
        task.value = String(sample.task);
        start(task.value);
      });
      item.append(sampleButton);
      sampleList.append(item);
    }
  };
  api.onKey(() => {
    loadSamples();
    loadRecent();
  });
  loadSamples();
  loadRecent();
}
