// @ts-check
/**
 * The rag-app's panel: ask a question (or pick a sample), then see the answer with its
 * numbered citations and the cited passages, or the refusal, with latency, tokens and cost.
 *
 * Served at /static/kind/panel.js; the shell (static/app.js) calls `mount(root, api)`.
 * Answers and passages are document text: they are inserted as text, never as markup.
 */

const CITATION = /\[(\d+)\]/g;

/**
 * @typedef {object} Citation
 * @property {number} n
 * @property {string} source
 * @property {string} title
 * @property {number} score
 * @property {string} text the cited passage
 */

/**
 * Build the answer paragraph: text nodes, with each known `[n]` a link to its passage.
 * @param {any} api @param {string} text @param {Set<number>} cited
 * @returns {HTMLElement}
 */
function answerParagraph(api, text, cited) {
  const paragraph = api.el("p", { className: "answer-text" });
  let last = 0;
  for (const match of text.matchAll(CITATION)) {
    const index = match.index ?? 0;
    paragraph.append(document.createTextNode(text.slice(last, index)));
    const n = Number(match[1]);
    if (cited.has(n)) {
      const link = api.el("a", { text: match[0], attrs: { href: `#passage-${n}` } });
      link.setAttribute("aria-label", `Source ${n}`);
      paragraph.append(link);
    } else {
      paragraph.append(document.createTextNode(match[0]));
    }
    last = index + match[0].length;
  }
  paragraph.append(document.createTextNode(text.slice(last)));
  return paragraph;
}

/**
 * Build a passage: one paragraph per blank-line-separated block, lines joined, as text.
 * @param {any} api @param {string} text @returns {HTMLElement}
 */
function passage(api, text) {
  const quote = api.el("blockquote", { className: "passage" });
  for (const block of String(text).split(/\n\s*\n/)) {
    const line = block.replace(/\s*\n\s*/g, " ").trim();
    if (line) quote.append(api.el("p", { text: line }));
  }
  return quote;
}

/**
 * Build the numbered list of cited sources, each with its passage.
 * @param {any} api @param {Citation[]} citations @returns {HTMLElement}
 */
function sourceList(api, citations) {
  const list = api.el("ol", { className: "sources" });
  for (const citation of citations) {
    const item = api.el("li", { attrs: { id: `passage-${citation.n}`, value: String(citation.n) } });
    const heading = api.el("p", { className: "source-title", text: citation.title });
    const meta = `${citation.source} · score ${Number(citation.score).toFixed(3)}`;
    heading.append(api.el("span", { className: "source-meta", text: meta }));
    item.append(heading, passage(api, citation.text));
    list.append(item);
  }
  return list;
}

/**
 * Render one /ask response.
 * @param {any} api @param {any} data @param {string | null} requestId @returns {HTMLElement}
 */
function answerView(api, data, requestId) {
  const article = api.el("article", { className: data.refused ? "answer refused" : "answer" });
  /** @type {Citation[]} */
  const citations = Array.isArray(data.citations) ? data.citations : [];
  article.append(api.el("h2", { text: data.refused ? "Refused" : "Answer" }));
  article.append(answerParagraph(api, String(data.answer), new Set(citations.map((c) => c.n))));
  if (data.refused) {
    const note = "The documents do not cover this question, so the app says so instead of guessing.";
    article.append(api.el("p", { className: "refusal-note", text: note }));
  }
  const usage = data.usage ?? {};
  api.stats(article, {
    latencyMs: Number(data.retrieval_ms) + Number(data.generation_ms),
    inputTokens: usage.input_tokens ?? 0,
    outputTokens: usage.output_tokens ?? 0,
    costUsd: Number(data.cost_usd),
    detailLabel: "Prompt",
    detail: String(data.prompt_version ?? ""),
  });
  if (citations.length) {
    article.append(api.el("h3", { text: "Sources" }), sourceList(api, citations));
  }
  api.feedback(article, requestId);
  return article;
}

/**
 * Mount the panel into `root`.
 * @param {HTMLElement} root @param {any} api the shell's helper (static/app.js)
 */
export function mount(root, api) {
  const intro = api.el("p", {
    className: "intro",
    text:
      "Ask a question about the indexed documents. Answers quote the documents and cite " +
      "them by number; a question they do not cover is refused.",
  });
  const samples = api.el("section", { className: "samples", attrs: { "aria-labelledby": "samples-title" } });
  samples.append(api.el("h2", { text: "Try a sample question", attrs: { id: "samples-title" } }));
  const sampleList = api.el("ul", { className: "sample-list" });
  samples.append(sampleList);

  const form = /** @type {HTMLFormElement} */ (api.el("form", { className: "ask-form" }));
  const question = /** @type {HTMLTextAreaElement} */ (
    api.el("textarea", {
      attrs: { id: "question", name: "question", rows: "2", maxlength: "2000", required: "" },
    })
  );
  const button = /** @type {HTMLButtonElement} */ (
    api.el("button", { className: "primary", text: "Ask", attrs: { type: "submit" } })
  );
  const row = api.el("div", { className: "row" });
  row.append(question, button);
  form.append(
    api.el("label", { text: "Your question", attrs: { for: "question" } }),
    row,
    api.el("p", { className: "hint", text: "Enter asks; Shift+Enter starts a new line." }),
  );
  const result = api.el("div", {
    className: "result",
    attrs: { id: "result", "aria-live": "polite", "aria-busy": "false" },
  });
  const waiting = "Pick a sample question or type your own: the answer and its sources appear here.";
  result.append(api.el("p", { className: "hint", text: waiting }));
  root.append(intro, samples, form, result);

  /** @param {string} text */
  const ask = async (text) => {
    const trimmed = text.trim();
    if (!trimmed) return;
    button.disabled = true;
    result.setAttribute("aria-busy", "true");
    result.replaceChildren(api.el("p", { className: "hint", text: "Searching the documents…" }));
    const response = await api.post("ask", { question: trimmed });
    button.disabled = false;
    result.setAttribute("aria-busy", "false");
    if (response.ok) {
      result.replaceChildren(answerView(api, response.data, response.requestId));
    } else if (response.status === 401) {
      result.replaceChildren(api.el("p", { className: "hint", text: "Enter the API key above, then ask again." }));
    } else {
      result.replaceChildren(api.el("p", { className: "error", text: response.message }));
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask(question.value);
  });
  question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  const loadSamples = async () => {
    const response = await api.get("samples");
    if (!response.ok || !Array.isArray(response.data)) {
      if (response.status !== 401) {
        sampleList.replaceChildren(api.el("li", { className: "hint", text: "No sample questions." }));
      }
      return;
    }
    sampleList.replaceChildren();
    for (const sample of response.data) {
      const item = api.el("li");
      const sampleButton = api.el("button", { text: String(sample.question), attrs: { type: "button" } });
      if (sample.expect === "refusal") {
        sampleButton.append(api.el("span", { className: "tag", text: "not in the documents: expect a refusal" }));
      }
      sampleButton.addEventListener("click", () => {
        question.value = String(sample.question);
        ask(question.value);
      });
      item.append(sampleButton);
      sampleList.append(item);
    }
  };
  api.onKey(loadSamples);
  loadSamples();
}
