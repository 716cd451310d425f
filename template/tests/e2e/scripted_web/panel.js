// @ts-check
/**
 * A scripted panel for the shell's browser tests: it uses every part of the shell's `api`
 * (get, post, el, stats, feedback, onKey) the way a kind's panel does, against the scripted
 * kind's two routes (`GET sample`, `POST answer`; tests/e2e/apps.py), so that the shell is
 * tested without any kind's own page. Every server text is inserted as text.
 */

/**
 * Render one answer: a card with its heading, text, detail, stats and feedback box.
 * @param {any} api @param {any} data @param {string | null} requestId @returns {HTMLElement}
 */
function answerView(api, data, requestId) {
  const card = api.el("article", { className: data.refused ? "answer refused" : "answer" });
  card.append(api.el("h2", { text: data.refused ? "Refused" : "Answer" }));
  card.append(api.el("p", { className: "answer-text", text: String(data.answer) }));
  card.append(api.el("p", { className: "scripted-detail", text: String(data.detail) }));
  api.stats(card, {
    latencyMs: Number(data.latency_ms),
    inputTokens: data.input_tokens,
    outputTokens: data.output_tokens,
    costUsd: Number(data.cost_usd),
    detailLabel: "Prompt",
    detail: String(data.prompt ?? ""),
  });
  api.feedback(card, requestId);
  return card;
}

/**
 * Mount the panel into `root`.
 * @param {HTMLElement} root @param {any} api the shell's helper (static/app.js)
 */
export function mount(root, api) {
  const samples = api.el("section", { className: "samples", attrs: { "aria-labelledby": "samples-title" } });
  samples.append(api.el("h2", { text: "Try a sample", attrs: { id: "samples-title" } }));
  const sampleList = api.el("ul", { className: "sample-list" });
  samples.append(sampleList);
  const form = /** @type {HTMLFormElement} */ (api.el("form"));
  const input = /** @type {HTMLTextAreaElement} */ (
    api.el("textarea", { attrs: { id: "request", name: "request", rows: "2", required: "" } })
  );
  const button = api.el("button", { className: "primary", text: "Send", attrs: { type: "submit" } });
  const row = api.el("div", { className: "row" });
  row.append(input, button);
  form.append(api.el("label", { text: "Your request", attrs: { for: "request" } }), row);
  const result = api.el("div", { className: "result", attrs: { id: "result", "aria-live": "polite" } });
  result.append(api.el("p", { className: "hint", text: "The answer appears here." }));
  root.append(samples, form, result);

  /** @param {string} text */
  const send = async (text) => {
    const response = await api.post("answer", { text });
    if (response.ok) {
      result.replaceChildren(answerView(api, response.data, response.requestId));
    } else if (response.status !== 401) {
      result.replaceChildren(api.el("p", { className: "error", text: response.message }));
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(input.value);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  const loadSamples = async () => {
    const response = await api.get("sample");
    if (!response.ok) return;
    const sample = String(response.data.text);
    const sampleButton = api.el("button", { text: sample, attrs: { type: "button" } });
    sampleButton.addEventListener("click", () => send(sample));
    const item = api.el("li");
    item.append(sampleButton);
    sampleList.replaceChildren(item);
  };
  api.onKey(loadSamples);
  loadSamples();
}
