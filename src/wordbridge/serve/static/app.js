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
const CELL = 30;

function colour(w) {
  // white -> deep blue, with a gamma so that small weights stay visible
  const t = Math.pow(Math.max(0, Math.min(1, w)), 0.6);
  const r = Math.round(255 - t * (255 - 8));
  const g = Math.round(255 - t * (255 - 48));
  const b = Math.round(255 - t * (255 - 107));
  return `rgb(${r},${g},${b})`;
}

function drawHeatmap(canvas, srcTokens, tgtTokens, weights) {
  const ctx = canvas.getContext("2d");
  ctx.font = "14px sans-serif";
  const widest = (tokens) => Math.max(20, ...tokens.map((t) => ctx.measureText(t).width));
  const left = Math.ceil(widest(tgtTokens)) + 12;
  const top = Math.ceil(widest(srcTokens) * 0.75) + 16;
  const ratio = window.devicePixelRatio || 1;
  const width = left + srcTokens.length * CELL + 8;
  const height = top + tgtTokens.length * CELL + 8;
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
      ctx.fillRect(left + j * CELL, top + i * CELL, CELL - 1, CELL - 1);
    });
  });
  ctx.fillStyle = "#222";
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  tgtTokens.forEach((tok, i) => ctx.fillText(tok, left - 6, top + i * CELL + CELL / 2));
  ctx.textAlign = "left";
  srcTokens.forEach((tok, j) => {
    ctx.save();
    ctx.translate(left + j * CELL + CELL / 2, top - 6);
    ctx.rotate(-Math.PI / 4);
    ctx.fillText(tok, 0, 0);
    ctx.restore();
  });
  canvas.dataset.rows = String(tgtTokens.length);
  canvas.dataset.cols = String(srcTokens.length);
  canvas.onmousemove = (ev) => {
    const rect = canvas.getBoundingClientRect();
    const j = Math.floor((ev.clientX - rect.left - left) / CELL);
    const i = Math.floor((ev.clientY - rect.top - top) / CELL);
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

async function translate(ev) {
  ev.preventDefault();
  const text = $("fr-input").value.trim();
  if (!text) return;
  showError("translate-error", null);
  $("heatmap").classList.remove("drawn");
  await busy($("translate-btn"), async () => {
    try {
      const beam = parseInt($("beam").value, 10);
      const request = { text, beam, attention: true, confidence: true };
      if ($("model").value) request.model = $("model").value;
      const body = await postJSON("/api/translate", request);
      const t = body.translations[0];
      $("en-output").textContent = t.text;
      showConfidence($("confidence"), t);
      if (t.attention && t.attention.length) {
        drawHeatmap($("heatmap"), t.src_tokens, t.tokens, t.attention);
      }
    } catch (err) {
      showError("translate-error", err);
    }
  });
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
    score.textContent = hit.score.toFixed(3);
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
    p.append(strong, labels.map((l) => `${l.name} (${l.score.toFixed(2)})`).join(", "));
    box.append(p);
  };
  if (body) {
    add(body.method ? `labels (${body.method})` : "labels", body.labels);
    add("zero-shot", body.zero_shot);
  }
}

async function searchWords(ev) {
  ev.preventDefault();
  const query = $("query").value.trim();
  if (!query) return;
  showError("search-error", null);
  await busy($("search-btn"), async () => {
    try {
      const body = await postJSON("/api/search/text", { query, k: 12 });
      renderLabels(null);
      $("search-info").textContent = `images for “${body.query}”`;
      $("search-info").dataset.mode = "text";
      renderGrid($("grid"), body.results);
    } catch (err) {
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
  if (!text) return;
  showError("fr-error", null);
  await busy($("fr-search-btn"), async () => {
    try {
      const route = $("fr-route").value;
      const body = await postJSON("/api/search/french", { text, k: 12, beam: 3, route });
      $("fr-english").textContent = body.route === "direct"
        ? "Route: direct (the French words themselves, in the multilingual space; no translator)"
        : `Route: translator · English query used: “${body.english}”`;
      renderGrid($("fr-grid"), body.results);
    } catch (err) {
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
}

// ---- start --------------------------------------------------------------------------------------------------------
async function start() {
  $("translate-form").addEventListener("submit", translate);
  $("search-form").addEventListener("submit", searchWords);
  $("fr-search-form").addEventListener("submit", searchFrench);
  setupDrop();
  try {
    const health = await api("/health");
    const parts = [
      health.translator ? "translation model loaded" : "no translation model",
      health.searcher ? "image index loaded" : "no image index",
    ];
    $("status").textContent = parts.join(" · ");
    $("translate-panel").classList.toggle("off", !health.translator);
    if (health.translator) await loadModels();
    $("search-panel").classList.toggle("off", !health.searcher);
    $("french-panel").classList.toggle("off", !(health.searcher && (health.translator || health.multilingual)));
    document.body.dataset.ready = "1";
  } catch (err) {
    $("status").textContent = `server not reachable: ${err.message}`;
  }
}

document.addEventListener("DOMContentLoaded", start);
