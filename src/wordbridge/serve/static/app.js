// wordbridge page: plain JS, no build step. Talks to the REST API of the same server.
// Untrusted text (translations, labels, file names) only ever goes into textContent, never innerHTML.
"use strict";

const $ = (id) => document.getElementById(id);

async function api(url, options) {
  const response = await fetch(url, options);
  let body = null;
  try {
    body = await response.json();
  } catch (err) {
    body = null;
  }
  if (!response.ok) {
    let detail = body && body.detail ? body.detail : response.statusText;
    if (Array.isArray(detail)) {
      detail = detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    }
    throw new Error(`${response.status}: ${detail}`);
  }
  return body;
}

function postJSON(url, payload) {
  return api(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
  });
}

function showError(id, err) {
  const el = $(id);
  if (err) {
    el.textContent = err.message || String(err);
    el.hidden = false;
  } else {
    el.textContent = "";
    el.hidden = true;
  }
}

async function busy(button, work) {
  button.disabled = true;
  try {
    await work();
  } finally {
    button.disabled = false;
  }
}

// ---- translation + heatmap ------------------------------------------------------------------------------------
const MAX_CELL = 30;
const MIN_CELL = 14;
const SPECIAL = /^_[a-z]+_$/;  // _eos_, _unk_ ...: a word of their own
let defaultBeam = 5;  // replaced by the server's default (/health) at start

function colour(w) {
  // white -> deep blue, with a gamma so that small weights stay visible
  const t = Math.pow(Math.max(0, Math.min(1, w)), 0.6);
  const r = Math.round(255 - t * (255 - 8));
  const g = Math.round(255 - t * (255 - 48));
  const b = Math.round(255 - t * (255 - 107));
  return `rgb(${r},${g},${b})`;
}

// sentencepiece pieces -> words: a piece starting with "▁" starts a word, any other piece continues the last one.
// Returns the words and, for each piece, the index of its word. Word-level tokens (spaCy) stay as they are.
function wordsOf(tokens) {
  const pieces = tokens.some((t) => t.startsWith("\u2581"));
  const words = [];
  const owner = [];
  tokens.forEach((tok) => {
    const starts = !pieces || tok.startsWith("\u2581") || SPECIAL.test(tok) || !words.length;
    const text = tok.replace(/^\u2581/, "");
    if (starts) {
      words.push(text);
    } else {
      words[words.length - 1] += text;
    }
    owner.push(words.length - 1);
  });
  return { words, owner };
}

// attention over pieces -> over words: a source word gets the sum of its pieces' weights (a row stays a
// distribution over the source), an output word the mean of its pieces' rows.
function wordAttention(srcTokens, tgtTokens, weights) {
  const src = wordsOf(srcTokens);
  const tgt = wordsOf(tgtTokens);
  const sums = tgt.words.map(() => src.words.map(() => 0));
  const counts = tgt.words.map(() => 0);
  weights.forEach((row, i) => {
    const wi = tgt.owner[i];
    if (wi === undefined) return;
    counts[wi] += 1;
    row.forEach((w, j) => {
      if (src.owner[j] !== undefined) sums[wi][src.owner[j]] += w;
    });
  });
  const matrix = sums.map((row, i) => row.map((w) => w / Math.max(1, counts[i])));
  return { srcWords: src.words, tgtWords: tgt.words, matrix };
}

function clearHeatmap() {
  const canvas = $("heatmap");
  canvas.classList.remove("drawn");
  canvas.width = 10;
  canvas.height = 10;
  canvas.style.width = "";
  canvas.style.height = "";
  canvas.title = "";
  delete canvas.dataset.rows;
  delete canvas.dataset.cols;
  delete canvas.dataset.srcWords;
}

function drawHeatmap(canvas, srcTokens, tgtTokens, weights) {
  const ctx = canvas.getContext("2d");
  ctx.font = "14px sans-serif";
  const widest = (tokens) => Math.max(20, ...tokens.map((t) => ctx.measureText(t).width));
  const left = Math.ceil(widest(tgtTokens)) + 12;
  const top = Math.ceil(widest(srcTokens) * 0.75) + 16;
  // cells shrink to fit the panel for long sentences; below MIN_CELL the panel scrolls instead
  const room = canvas.parentElement.clientWidth - left - 8;
  const cell = Math.max(MIN_CELL, Math.min(MAX_CELL, Math.floor(room / Math.max(1, srcTokens.length))));
  const ratio = window.devicePixelRatio || 1;
  const width = left + srcTokens.length * cell + 8;
  const height = top + tgtTokens.length * cell + 8;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  ctx.scale(ratio, ratio);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.font = "14px sans-serif";
  weights.forEach((row, i) => {
    row.forEach((w, j) => {
      ctx.fillStyle = colour(w);
      ctx.fillRect(left + j * cell, top + i * cell, cell - 1, cell - 1);
    });
  });
  ctx.fillStyle = "#222";
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  tgtTokens.forEach((tok, i) => ctx.fillText(tok, left - 6, top + i * cell + cell / 2));
  ctx.textAlign = "left";
  srcTokens.forEach((tok, j) => {
    ctx.save();
    ctx.translate(left + j * cell + cell / 2, top - 6);
    ctx.rotate(-Math.PI / 4);
    ctx.fillText(tok, 0, 0);
    ctx.restore();
  });
  canvas.dataset.rows = String(tgtTokens.length);
  canvas.dataset.cols = String(srcTokens.length);
  canvas.dataset.srcWords = srcTokens.join(" ");
  canvas.onmousemove = (ev) => {
    const rect = canvas.getBoundingClientRect();
    const j = Math.floor((ev.clientX - rect.left - left) / cell);
    const i = Math.floor((ev.clientY - rect.top - top) / cell);
    const ok = i >= 0 && j >= 0 && i < tgtTokens.length && j < srcTokens.length;
    canvas.title = ok ? `${tgtTokens[i]} ← ${srcTokens[j]}: ${weights[i][j].toFixed(3)}` : "";
  };
  canvas.classList.add("drawn");
}

function showConfidence(badge, t) {
  if (t.confidence === null || t.confidence === undefined) {
    badge.hidden = true;
    return;
  }
  badge.textContent = t.low_confidence ? `low confidence (${t.confidence.toFixed(2)})`
    : `confidence ${t.confidence.toFixed(2)}`;
  badge.classList.toggle("low", Boolean(t.low_confidence));
  badge.hidden = false;
}

function clearTranslation() {
  $("en-output").textContent = "";
  $("copy-btn").hidden = true;
  $("copy-btn").textContent = "Copy";
  delete $("copy-btn").dataset.copied;
  $("confidence").hidden = true;
  $("en-model").textContent = "";
  clearHeatmap();
}

async function translate(ev) {
  ev.preventDefault();
  const text = $("fr-input").value.trim();
  clearTranslation();  // a new request: the previous answer never stays on show beside a new error
  if (!text) {
    showError("translate-error", new Error("Type some French text to translate first."));
    return;
  }
  showError("translate-error", null);
  await busy($("translate-btn"), async () => {
    try {
      const beam = parseInt($("beam").value, 10);
      const request = { text, beam, attention: true, confidence: true };
      if ($("model").value) request.model = $("model").value;
      const body = await postJSON("/api/translate", request);
      const t = body.translations[0];
      $("en-output").textContent = t.text;
      $("copy-btn").hidden = !t.text;
      showConfidence($("confidence"), t);
      $("en-model").textContent = `model: ${body.model} · beam ${body.beam}`;  // the run that answered
      if (t.attention && t.attention.length) {
        const words = wordAttention(t.src_tokens, t.tokens, t.attention);
        drawHeatmap($("heatmap"), words.srcWords, words.tgtWords, words.matrix);
      }
    } catch (err) {
      clearTranslation();
      showError("translate-error", err);
    }
  });
}

async function copyTranslation() {
  const button = $("copy-btn");
  const text = $("en-output").textContent;
  let done = false;
  try {
    await navigator.clipboard.writeText(text);
    done = true;
  } catch (err) {
    // no clipboard permission (e.g. plain http on another host): select a hidden textarea and copy that
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.append(area);
    area.select();
    done = document.execCommand("copy");
    area.remove();
  }
  button.textContent = done ? "Copied" : "Copy failed";
  if (done) button.dataset.copied = text;
}

// ---- image search -----------------------------------------------------------------------------------------------
function renderGrid(grid, hits) {
  grid.replaceChildren();
  for (const hit of hits) {
    const card = document.createElement("button");
    card.type = "button";
    card.className = "card";
    card.dataset.id = String(hit.id);
    card.title = `images similar to ${hit.name}`;
    const img = document.createElement("img");
    img.src = hit.url;
    img.alt = hit.caption || hit.label || hit.name;
    img.loading = "lazy";
    const caption = document.createElement("span");
    caption.className = "caption";
    caption.textContent = hit.caption || hit.label || hit.name;  // what the image shows, else its folder
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = `cos ${hit.score.toFixed(3)}`;
    score.title = "cosine similarity between the query and the image in the DeViSE space (1 = same direction)";
    card.append(img, caption, score);
    card.addEventListener("click", () => similar(hit));
    grid.append(card);
  }
  grid.dataset.count = String(hits.length);
}

function renderLabels(body) {
  const box = $("labels");
  box.replaceChildren();
  const add = (title, labels) => {
    if (!labels || !labels.length) return;
    const p = document.createElement("p");
    const strong = document.createElement("strong");
    strong.textContent = `${title}: `;
    p.append(strong, labels.map((l) => `${l.name} (cos ${l.score.toFixed(2)})`).join(", "));
    box.append(p);
  };
  if (body) {
    add(body.method ? `labels (${body.method})` : "labels", body.labels);
    add("zero-shot", body.zero_shot);
  }
}

function clearSearch() {
  renderLabels(null);
  $("search-info").textContent = "";
  delete $("search-info").dataset.mode;
  renderGrid($("grid"), []);
}

async function searchWords(ev) {
  ev.preventDefault();
  const query = $("query").value.trim();
  if (!query) {
    clearSearch();
    showError("search-error", new Error("Type one or more English words to search for first."));
    return;
  }
  showError("search-error", null);
  await busy($("search-btn"), async () => {
    try {
      const body = await postJSON("/api/search/text", { query, k: 12 });
      renderLabels(null);
      $("search-info").textContent = `images for “${body.query}”`;
      $("search-info").dataset.mode = "text";
      renderGrid($("grid"), body.results);
    } catch (err) {
      clearSearch();
      showError("search-error", err);
    }
  });
}

async function similar(hit) {
  showError("search-error", null);
  try {
    const body = await postJSON("/api/search/similar", { id: hit.id, k: 12 });
    renderLabels(null);
    $("search-info").textContent = `images similar to ${hit.caption || hit.label || hit.name} (#${hit.id})`;
    $("search-info").dataset.mode = "similar";
    renderGrid($("grid"), body.results);
    $("search-panel").scrollIntoView({ behavior: "smooth", block: "start" });
  } catch (err) {
    clearSearch();
    showError("search-error", err);
  }
}

let lastFile = null;  // the image on show: changing the method labels it again

async function searchFile(file) {
  if (!file) return;
  lastFile = file;
  showError("search-error", null);
  const form = new FormData();
  form.append("file", file);
  form.append("k", "12");
  const method = $("method").value;
  if (method) form.append("method", method);
  try {
    const body = await api("/api/search/image", { method: "POST", body: form });
    renderLabels(body);
    $("search-info").textContent = `images similar to ${file.name}`;
    $("search-info").dataset.mode = "image";
    renderGrid($("grid"), body.similar);
  } catch (err) {
    lastFile = null;
    clearSearch();
    showError("search-error", err);
  }
}

function setupDrop() {
  const drop = $("drop");
  drop.addEventListener("dragover", (ev) => {
    ev.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    searchFile(ev.dataTransfer.files[0]);
  });
  drop.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      $("file-input").click();
    }
  });
  $("file-input").addEventListener("change", (ev) => searchFile(ev.target.files[0]));
  $("method").addEventListener("change", () => searchFile(lastFile));
}

// ---- French -> images -------------------------------------------------------------------------------------------
async function searchFrench(ev) {
  ev.preventDefault();
  const text = $("fr-query").value.trim();
  const clear = () => {
    $("fr-english").textContent = "";
    renderGrid($("fr-grid"), []);
  };
  if (!text) {
    clear();
    showError("fr-error", new Error("Type some French words to search for first."));
    return;
  }
  showError("fr-error", null);
  await busy($("fr-search-btn"), async () => {
    try {
      const route = $("fr-route").value;
      const body = await postJSON("/api/search/french", { text, k: 12, beam: defaultBeam, route });
      $("fr-english").textContent = body.route === "direct"
        ? "Route: direct (the French words themselves, in the multilingual space; no translator)"
        : `Route: translator · English query used: “${body.english}”`;
      renderGrid($("fr-grid"), body.results);
    } catch (err) {
      clear();
      showError("fr-error", err);
    }
  });
}

// ---- model picker: what each served model is (the lesson's GRU, Transformer), the default preselected ----------
async function loadModels() {
  const body = await api("/api/models");
  const select = $("model");
  select.replaceChildren();
  for (const m of body.models) {
    const option = document.createElement("option");
    const bleu = m.valid_bleu === null ? "" : ` · valid BLEU ${m.valid_bleu.toFixed(1)}`;
    option.value = m.name;
    option.textContent = `${m.label} (${m.name}${bleu})${m.default ? " · default" : ""}`;
    option.selected = m.default;
    select.append(option);
  }
  $("model-row").hidden = body.models.length < 2;
  const chosen = body.models.find((m) => m.default) || body.models[0];
  return chosen ? `${chosen.label} (${chosen.name})` : null;
}

// ---- start --------------------------------------------------------------------------------------------------------
async function start() {
  $("translate-form").addEventListener("submit", translate);
  $("search-form").addEventListener("submit", searchWords);
  $("fr-search-form").addEventListener("submit", searchFrench);
  $("copy-btn").addEventListener("click", copyTranslation);
  setupDrop();
  try {
    const health = await api("/health");
    if (health.beam) {
      defaultBeam = health.beam;
      $("beam").value = String(health.beam);  // the CLI's default too (wordbridge/defaults.py)
    }
    const parts = [
      health.translator ? "translation model loaded" : "no translation model",
      health.searcher ? "image index loaded" : "no image index",
    ];
    $("translate-panel").classList.toggle("off", !health.translator);
    if (health.translator) {
      const model = await loadModels();
      if (model) parts[0] = `translation model: ${model}`;  // the run in use, even when there is no picker
    }
    $("status").textContent = parts.join(" · ");
    $("search-panel").classList.toggle("off", !health.searcher);
    $("french-panel").classList.toggle("off", !(health.searcher && (health.translator || health.multilingual)));
    document.body.dataset.ready = "1";
  } catch (err) {
    $("status").textContent = `server not reachable: ${err.message}`;
  }
}

document.addEventListener("DOMContentLoaded", start);
