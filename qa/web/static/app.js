// The qa serve page: ask, summarize, read the cited article, manage documents (API: docs/serve.md).
// Server data is only ever inserted as text (textContent or text nodes), never as HTML: an article
// may contain "<script>", and it must show as those characters.
"use strict";

const TOKEN = document.querySelector('meta[name="qa-token"]').content;
const JOB_POLL_MS = 500;

const MODES = {
  generated: ["generated", "written by the model; every sentence was checked against the passage it cites"],
  mixed: ["mixed", "the model's supported sentences, with quotes from the articles in place of the rest"],
  extractive: ["extractive", "quoted from the articles; the model's sentences were not supported"],
  abstained: ["abstained", "the articles do not answer this"],
};

const DATE_SOURCES = { metadata: "from its metadata", text: "from a date line", file: "file modified" };

// ---------- small helpers ----------

/** An element with attributes and children; string children become text nodes. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "className") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** A document's date as the CLI shows it: the day, or "file modified DAY" when only the file gave one. */
function dateLabel(date, dateSource) {
  if (!date) return "undated";
  return dateSource === "file" ? `file modified ${date.slice(0, 10)}` : date.slice(0, 10);
}

function showError(container, message) {
  container.replaceChildren(el("p", { className: "error", role: "alert" }, message));
}

class ApiError extends Error {}

/** The one-line `detail` of an error answer, or the status when the body is not the documented JSON. */
async function errorDetail(response) {
  try {
    const payload = await response.json();
    if (payload && payload.detail !== undefined) {
      return typeof payload.detail === "string" ? payload.detail : JSON.stringify(payload.detail);
    }
  } catch (_) {
    // not JSON: fall through to the status line
  }
  return `${response.status} ${response.statusText}`.trim();
}

/** fetch with the token on every call that changes something; JSON in and out; ApiError on a 4xx/5xx. */
async function api(method, path, body) {
  const headers = {};
  if (method !== "GET") headers["X-QA-Token"] = TOKEN;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new ApiError(await errorDetail(response));
  return response.json();
}

function failureMessage(error) {
  return error instanceof ApiError ? error.message : `could not reach the qa server (${error.message})`;
}

// ---------- tabs ----------

const VIEWS = ["ask", "summarize", "documents"];

function showView(name) {
  if (!VIEWS.includes(name)) name = "ask";
  for (const view of VIEWS) {
    document.getElementById(`view-${view}`).hidden = view !== name;
    document.getElementById(`tab-${view}`).setAttribute("aria-selected", String(view === name));
  }
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
}

// ---------- answers: streaming and rendering ----------

/**
 * POST a question or summary request with stream: true and read the NDJSON lines as they come:
 * drafts show dimmed (they are unchecked), then the answer or the error replaces them.
 */
async function streamAnswer(path, request, container, button) {
  button.disabled = true;
  const draft = el("p", { className: "draft", title: "draft: not yet checked against the articles" });
  const working = el("p", { className: "working" }, "working…");
  container.replaceChildren(working, draft);
  try {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-QA-Token": TOKEN },
      body: JSON.stringify({ ...request, stream: true }),
    });
    if (!response.ok) {
      showError(container, await errorDetail(response));
      return;
    }
    let finished = false;
    for await (const event of ndjsonEvents(response)) {
      if (event.event === "draft") {
        working.textContent = "draft, not yet checked against the articles:";
        draft.append(event.text);
      } else if (event.event === "answer") {
        finished = true;
        window.qaLastResult = event.result;
        renderResult(container, event.result);
      } else if (event.event === "error") {
        finished = true;
        showError(container, event.detail);
      }
    }
    if (!finished) showError(container, "the server ended the answer early; try again");
  } catch (error) {
    showError(container, failureMessage(error));
  } finally {
    button.disabled = false;
  }
}

/** The objects of an NDJSON response body, one per line, as they arrive. */
async function* ndjsonEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    pending += done ? decoder.decode() : decoder.decode(value, { stream: true });
    const lines = pending.split("\n");
    pending = done ? "" : lines.pop();
    for (const line of lines) {
      if (line.trim()) yield JSON.parse(line);
    }
    if (done) return;
  }
}

function citeButton(citation) {
  return el(
    "button",
    {
      type: "button",
      className: "cite",
      "data-n": citation.n,
      title: `${citation.title} (${citation.location})`,
      onclick: () => openArticle(citation.doc_id, { start: citation.start, end: citation.end }),
    },
    `[${citation.n}]`,
  );
}

/** One shown sentence followed by its citation markers. */
function partNode(text, numbers, byNumber, className) {
  const markers = numbers.filter((n) => byNumber.has(n)).map((n) => citeButton(byNumber.get(n)));
  return el("span", { className }, text, markers.length ? " " : "", markers.flatMap((m) => [m, " "]));
}

/**
 * The answer's sentences with their markers. A result without `parts` (summaries give none) is
 * shown from its answer text, each [n] of a known citation made a link.
 */
function answerBody(result, byNumber) {
  if (result.parts && result.parts.length) {
    return result.parts.map((part) =>
      partNode(part.text, part.citations, byNumber, part.generated ? "part generated" : part.computed ? "part computed" : "part quoted"),
    );
  }
  const nodes = [];
  let cursor = 0;
  for (const match of result.answer.matchAll(/\[(\d+)\]/g)) {
    const citation = byNumber.get(Number(match[1]));
    if (!citation) continue;
    nodes.push(result.answer.slice(cursor, match.index), citeButton(citation));
    cursor = match.index + match[0].length;
  }
  nodes.push(result.answer.slice(cursor));
  return [el("span", { className: "part" }, nodes)];
}

function citationItem(citation) {
  const dated = dateLabel(citation.date, citation.date_source);
  return el(
    "li",
    { className: "citation", "data-n": citation.n },
    el(
      "div",
      { className: "citation-head" },
      citeButton(citation),
      " ",
      el("span", { className: "citation-title" }, citation.title),
      el("span", { className: "muted" }, ` · ${dated} · ${citation.location}`),
    ),
    el("blockquote", { className: "quote" }, citation.quote),
    el("div", { className: "source muted" }, citation.source),
  );
}

function closestItem(passage) {
  const open = () => openArticle(passage.doc_id, passageSpan(passage));
  return el(
    "li",
    { className: "closest" },
    el(
      "button",
      { type: "button", className: "link", onclick: open },
      passage.title,
      el("span", { className: "muted" }, ` · ${passage.location}`),
    ),
    el("blockquote", { className: "quote" }, passage.text),
  );
}

/** A closest passage's span; without start/end the article's passage list gives it (by passage_id). */
function passageSpan(passage) {
  if (Number.isInteger(passage.start) && Number.isInteger(passage.end)) {
    return { start: passage.start, end: passage.end };
  }
  return { passageId: passage.passage_id };
}

function renderResult(container, result) {
  const [label, explanation] = MODES[result.mode] || [result.mode, ""];
  const nodes = [
    el("p", { className: "mode" }, el("span", { className: `mode-label mode-${result.mode}` }, label), " ", explanation),
  ];
  if (result.note) nodes.push(el("p", { className: "note" }, result.note));
  const byNumber = new Map(result.citations.map((citation) => [citation.n, citation]));
  if (result.mode === "abstained") {
    nodes.push(el("p", { className: "answer-text" }, result.answer));
    if (result.reason) nodes.push(el("p", { className: "reason" }, `Why: ${result.reason}.`));
    if (result.closest && result.closest.length) {
      nodes.push(el("h3", {}, "Closest passages"), el("ol", { className: "closest-list" }, result.closest.map(closestItem)));
    }
  } else {
    nodes.push(el("p", { className: "answer-text" }, answerBody(result, byNumber)));
    if (result.citations.length) {
      nodes.push(el("h3", {}, "Sources"), el("ol", { className: "citations" }, result.citations.map(citationItem)));
    }
  }
  container.replaceChildren(...nodes);
}

// ---------- the article view ----------

/** Python counts characters by code point, JavaScript strings by UTF-16 unit: the index in `text` of a code point offset. */
function unitIndexer(text) {
  if (!/[\uD800-\uDFFF]/.test(text)) return (offset) => offset;
  const units = [0];
  for (const character of text) units.push(units[units.length - 1] + character.length);
  return (offset) => units[Math.min(offset, units.length - 1)];
}

/** Paragraph spans as the indexer splits them (qa/ingest/split.py): blank-line blocks, or each line in text with none. */
function paragraphSpans(text) {
  const separator = /\n[ \t\f\v]*\n/.test(text) ? /\n[ \t\f\v]*\n/g : /\n/g;
  const spans = [];
  let cursor = 0;
  for (const match of text.matchAll(separator)) {
    spans.push([cursor, match.index]);
    cursor = match.index + match[0].length;
  }
  spans.push([cursor, text.length]);
  return spans
    .map(([start, end]) => {
      while (start < end && /\s/.test(text[start])) start += 1;
      while (end > start && /\s/.test(text[end - 1])) end -= 1;
      return [start, end];
    })
    .filter(([start, end]) => start < end);
}

/** One paragraph as text nodes, the part inside [highlightStart, highlightEnd) wrapped in a mark. */
function paragraphNode(text, [start, end], highlightStart, highlightEnd) {
  const from = Math.max(start, highlightStart);
  const to = Math.min(end, highlightEnd);
  if (from >= to) return el("p", {}, text.slice(start, end));
  return el(
    "p",
    {},
    text.slice(start, from),
    el("mark", { className: "qa-highlight" }, text.slice(from, to)),
    text.slice(to, end),
  );
}

let articleRequest = 0; // a later click wins over a slower earlier fetch

/**
 * Show a document whole, with `span` ({start, end} character offsets, or {passageId}) highlighted.
 * The highlight is cut from the stored offsets, never found by searching the text.
 */
async function openArticle(docId, span = null) {
  const request = ++articleRequest;
  const panel = document.getElementById("article-panel");
  const article = document.getElementById("article");
  panel.hidden = false;
  document.getElementById("layout").classList.add("with-article");
  article.replaceChildren(el("p", { className: "working" }, "loading the article…"));
  let documentData;
  try {
    documentData = await api("GET", `/api/documents/${encodeURIComponent(docId)}`);
  } catch (error) {
    if (request === articleRequest) showError(article, failureMessage(error));
    return;
  }
  if (request !== articleRequest) return;
  renderArticle(article, documentData, span);
}

function renderArticle(article, documentData, span) {
  const text = documentData.text || "";
  if (span && span.passageId !== undefined) {
    const passage = (documentData.passage_list || []).find((p) => p.passage_id === span.passageId);
    span = passage ? { start: passage.start, end: passage.end } : null;
  }
  const unitAt = unitIndexer(text);
  const highlightStart = span ? unitAt(span.start) : -1;
  const highlightEnd = span ? unitAt(span.end) : -1;
  const dated = dateLabel(documentData.date, documentData.date_source);
  // the title stays in the panel's bar while the article scrolls to the highlight
  document.getElementById("article-heading").textContent = documentData.title;
  article.replaceChildren(
    el("h2", { id: "article-title" }, documentData.title),
    el("p", { id: "article-meta", className: "muted" }, `${dated} · ${documentData.source}`),
    el("div", { id: "article-body" }, paragraphSpans(text).map((p) => paragraphNode(text, p, highlightStart, highlightEnd))),
  );
  const first = article.querySelector("mark.qa-highlight");
  if (first) first.scrollIntoView({ block: "center" });
  else article.parentElement.scrollTop = 0;
}

function closeArticle() {
  articleRequest += 1;
  document.getElementById("article-panel").hidden = true;
  document.getElementById("layout").classList.remove("with-article");
}

// ---------- ask and summarize ----------

function setUpAsk() {
  const form = document.getElementById("ask-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = document.getElementById("question").value.trim();
    if (!question) return;
    streamAnswer("/api/ask", { question }, document.getElementById("answer"), document.getElementById("ask-button"));
  });
}

function setUpSummarize() {
  const form = document.getElementById("summary-form");
  const topic = document.getElementById("summary-topic");
  const choose = (scope) => (form.querySelector(`input[name="scope"][value="${scope}"]`).checked = true);
  topic.addEventListener("focus", () => choose("topic"));
  document.getElementById("summary-document").addEventListener("change", () => choose("document"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const scope = new FormData(form).get("scope");
    const output = document.getElementById("summary");
    const request = { scope, sentences: Number(document.getElementById("summary-sentences").value) || 5 };
    if (scope === "document") {
      request.target = document.getElementById("summary-document").value;
      if (!request.target) return showError(output, "no document to summarize: add some in Documents");
    } else if (scope === "topic") {
      request.target = topic.value.trim();
      if (!request.target) return showError(output, "write the topic to summarize");
    }
    streamAnswer("/api/summarize", request, output, document.getElementById("summary-button"));
  });
}

// ---------- documents, uploads and jobs ----------

async function refreshInfo() {
  const line = document.getElementById("info");
  try {
    const info = await api("GET", "/api/info");
    line.textContent =
      `collection ${info.collection} · ${plural(info.documents, "document")} · ` +
      `${plural(info.passages, "passage")} · model ${info.model}`;
  } catch (error) {
    line.textContent = failureMessage(error);
  }
}

async function refreshDocuments() {
  const errorBox = document.getElementById("documents-error");
  let documents;
  try {
    documents = await api("GET", "/api/documents");
  } catch (error) {
    showError(errorBox, failureMessage(error));
    return;
  }
  document.querySelector("#documents tbody").replaceChildren(...documents.map(documentRow));
  document.getElementById("documents-empty").hidden = documents.length > 0;
  fillDocumentChoice(documents);
}

function documentRow(row) {
  const dateSource = row.date ? DATE_SOURCES[row.date_source] || row.date_source : "";
  return el(
    "tr",
    { "data-doc-id": row.id },
    el("td", { className: "title" }, row.title),
    el(
      "td",
      { className: "date" },
      row.date ? row.date.slice(0, 10) : "undated",
      dateSource ? el("div", { className: "muted small" }, dateSource) : null,
    ),
    el("td", { className: "source muted" }, row.source),
    el("td", { className: "num" }, row.passages),
    el(
      "td",
      { className: "actions" },
      el("button", { type: "button", className: "open", onclick: () => openArticle(row.id) }, "Open"),
      el("button", { type: "button", className: "remove quiet", onclick: () => removeDocument(row) }, "Remove"),
    ),
  );
}

function fillDocumentChoice(documents) {
  const select = document.getElementById("summary-document");
  const chosen = select.value;
  select.replaceChildren(...documents.map((row) => el("option", { value: row.id }, row.title)));
  if (documents.some((row) => String(row.id) === chosen)) select.value = chosen;
}

async function removeDocument(row) {
  if (!confirm(`Remove “${row.title}” and its passages from the collection?`)) return;
  try {
    await api("DELETE", `/api/documents/${row.id}`);
  } catch (error) {
    showError(document.getElementById("documents-error"), failureMessage(error));
    return;
  }
  await Promise.all([refreshDocuments(), refreshInfo()]);
}

/** The job a 202 answer names: the contract writes it `{job}`; a bare job object is read the same way. */
function jobOf(payload) {
  return payload && typeof payload.job === "object" ? payload.job : payload;
}

/** A line in the jobs list for one upload or path: a progress bar and a status line. */
function jobLine(label) {
  const bar = el("progress", { max: 1, value: 0 });
  const status = el("span", { className: "job-status" }, "waiting");
  const details = el("div", { className: "job-details" });
  const item = el("li", { className: "job" }, el("span", { className: "job-label" }, label), bar, status, details);
  document.getElementById("jobs").prepend(item);
  return {
    item,
    progress(done, total) {
      bar.max = total || 1;
      bar.value = done;
    },
    say(text, state = "") {
      status.textContent = text;
      item.dataset.state = state;
    },
    detail(lines, className) {
      details.replaceChildren(...lines.map((line) => el("div", { className }, line)));
    },
  };
}

/** Send one file as the raw request body; XMLHttpRequest because fetch cannot report upload progress. */
function uploadFile(file, line) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/api/uploads?filename=${encodeURIComponent(file.name)}`);
    request.setRequestHeader("X-QA-Token", TOKEN);
    request.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      line.progress(event.loaded, event.total);
      line.say(`uploading ${Math.round((100 * event.loaded) / event.total)}%`, "uploading");
    });
    request.addEventListener("load", () => {
      let payload = null;
      try {
        payload = JSON.parse(request.responseText);
      } catch (_) {
        // reported below as the status line
      }
      if (request.status >= 200 && request.status < 300 && payload) resolve(jobOf(payload));
      else reject(new ApiError(payload && payload.detail ? String(payload.detail) : `${request.status} ${request.statusText}`));
    });
    request.addEventListener("error", () => reject(new Error("the upload was interrupted")));
    request.send(file);
  });
}

/** Poll a job until it is done or failed, showing its progress; then refresh the documents. */
async function followJob(job, line) {
  for (;;) {
    showJob(job, line);
    if (job.state === "done" || job.state === "failed") break;
    await new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS));
    try {
      job = await api("GET", `/api/jobs/${encodeURIComponent(job.id)}`);
    } catch (error) {
      line.say(failureMessage(error), "failed");
      return;
    }
  }
  await Promise.all([refreshDocuments(), refreshInfo()]);
}

function showJob(job, line) {
  line.progress(job.done || 0, job.total || 0);
  if (job.state === "failed") {
    line.say("failed", "failed");
    line.detail([job.error || "indexing failed"], "error");
  } else if (job.state === "done") {
    const report = job.report || {};
    line.progress(1, 1);
    line.say(
      `indexed: ${report.added || 0} added, ${report.updated || 0} updated, ${report.unchanged || 0} unchanged, ` +
        `${plural(report.passages || 0, "passage")}`,
      "done",
    );
    line.detail([...(report.errors || [])], "error");
  } else {
    const counted = job.total ? ` ${job.done}/${job.total} files` : "";
    line.say(`${job.state === "queued" ? "queued" : "indexing"}${counted}${job.current ? ` · ${job.current}` : ""}`, job.state);
  }
}

async function addFiles(files) {
  const started = [];
  for (const file of files) {
    const line = jobLine(file.name);
    try {
      const job = await uploadFile(file, line);
      started.push(followJob(job, line));
    } catch (error) {
      line.say("not uploaded", "failed");
      line.detail([failureMessage(error)], "error");
    }
  }
  await Promise.all(started);
}

function setUpDocuments() {
  const input = document.getElementById("upload-input");
  input.addEventListener("change", () => {
    const files = [...input.files];
    input.value = ""; // the same file can be chosen again later
    addFiles(files);
  });
  const form = document.getElementById("path-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const path = document.getElementById("path-input").value.trim();
    const errorBox = document.getElementById("documents-error");
    errorBox.replaceChildren();
    if (!path) return;
    const button = document.getElementById("path-button");
    button.disabled = true;
    try {
      const job = jobOf(await api("POST", "/api/index", { path }));
      followJob(job, jobLine(path));
    } catch (error) {
      showError(errorBox, failureMessage(error));
    } finally {
      button.disabled = false;
    }
  });
}

// ---------- start ----------

document.addEventListener("DOMContentLoaded", () => {
  for (const view of VIEWS) {
    document.getElementById(`tab-${view}`).addEventListener("click", () => showView(view));
  }
  window.addEventListener("hashchange", () => showView(location.hash.slice(1)));
  showView(location.hash.slice(1));
  document.getElementById("article-close").addEventListener("click", closeArticle);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !document.getElementById("article-panel").hidden) closeArticle();
  });
  setUpAsk();
  setUpSummarize();
  setUpDocuments();
  refreshInfo();
  refreshDocuments();
});
