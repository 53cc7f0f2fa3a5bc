// The preview page: the PDF's pages as images rendered by the server, updated in place when the
// server pushes a new state (server-sent events on /__events), so the scroll position stays; the
// page tells the server which unit (essay) is in view (POST /__look), and that unit is laid out
// first after a change. Images load as they come near the screen.
"use strict";
const pagesBox = document.getElementById("pages");
const stateBox = document.getElementById("state");
const errorBox = document.getElementById("error");
const toggle = document.getElementById("toggle");
const frames = [document.getElementById("phone"), document.getElementById("desktop")];
let current = {version: -1, build: -1, pages: []};
let looking = null;

function pixels(div) {  // the image width this page needs on this screen, in steps of 100 px
  return Math.min(2400, Math.max(100, Math.ceil(div.clientWidth * (window.devicePixelRatio || 1) / 100) * 100));
}

function load(div) {  // fetch the page's current image; swap it in only once it has arrived
  const src = div.dataset.src, img = div.firstChild;
  if (!src || img.dataset.src === src || div.dataset.loading === src) return;
  div.dataset.loading = src;
  const url = `/__page/${src}.png?w=${pixels(div)}`;
  const next = new Image();
  next.onload = () => {
    if (div.dataset.src === src) { img.src = url; img.dataset.src = src; }
    if (div.dataset.loading === src) delete div.dataset.loading;
  };
  next.onerror = () => { if (div.dataset.loading === src) delete div.dataset.loading; };
  next.src = url;
}

const near = new IntersectionObserver((entries) => {
  for (const e of entries) {
    e.target.dataset.near = e.isIntersecting ? "1" : "";
    if (e.isIntersecting) load(e.target);
  }
}, {rootMargin: "100% 0px"});

function showPages(pages) {
  while (pagesBox.children.length < pages.length) {
    const div = document.createElement("div");
    div.className = "page";
    div.appendChild(document.createElement("img")).alt = "";
    div.appendChild(document.createElement("span")).className = "n";
    pagesBox.appendChild(div);
    near.observe(div);
  }
  while (pagesBox.children.length > pages.length) {
    near.unobserve(pagesBox.lastChild);
    pagesBox.lastChild.remove();
  }
  pages.forEach((p, i) => {
    const div = pagesBox.children[i];
    div.style.aspectRatio = `${p.w} / ${p.h}`;
    div.dataset.src = p.src;
    div.dataset.unit = p.unit || "";
    div.classList.toggle("fresh", !!p.fresh);
    div.firstChild.alt = `page ${i + 1}`;
    div.lastChild.textContent = i + 1;
    if (div.dataset.near === "1") load(div);
  });
}

function htmlPage(unit) {
  return !unit || unit === "front" || unit.startsWith("part-") ? "/html/index.html" : `/html/${unit}.html`;
}

function reloadFrames() {  // the HTML edition changed: reload, keeping each frame's scroll position
  for (const f of frames) {
    if (!f.getAttribute("src")) continue;
    let y = 0;
    try { y = f.contentWindow.scrollY; } catch (e) { /* not loaded yet */ }
    f.onload = () => { try { f.contentWindow.scrollTo(0, y); } catch (e) { /* gone */ } };
    try { f.contentWindow.location.reload(); } catch (e) { f.src = f.getAttribute("src"); }
  }
}

function scaleDesktop() {
  const box = document.getElementById("desktop-box"), f = frames[1];
  const scale = Math.min(1, box.clientWidth / 1442);
  f.style.transform = `scale(${scale})`;
  box.style.height = `${902 * scale + 20}px`;
  document.getElementById("desktop-caption").textContent = `desktop, 1440 px (shown at ${Math.round(scale * 100)} %)`;
}

let pagesScroll = 0;
function showHtml(on) {
  const was = document.body.classList.contains("html-mode");
  if (on && !was) pagesScroll = window.scrollY;
  document.body.classList.toggle("html-mode", on);
  if (on !== was) window.scrollTo(0, on ? 0 : pagesScroll);
  toggle.setAttribute("aria-pressed", String(on));
  toggle.textContent = on ? "PDF pages" : "HTML edition";
  if (on) {
    const url = htmlPage(looking);
    for (const f of frames) if (f.getAttribute("src") !== url) f.src = url;
    scaleDesktop();
  }
}

function apply(s) {
  const built = s.build !== current.build;
  errorBox.hidden = !s.error;
  errorBox.textContent = s.error || "";
  let text = s.ok ? `build ${s.build} good (${s.time})` : (s.build ? `build ${s.build} failed; showing the last good build` : "building…");
  if (s.error && s.ok) text = "error; showing the last good build";
  if (s.busy) text += ` · ${s.busy}…`;
  stateBox.textContent = text;
  stateBox.className = s.error ? "error" : (s.busy ? "busy" : "ok");
  const link = document.getElementById("pdf-link");
  link.hidden = !s.pdf;
  if (s.pdf) link.href = `/${s.pdf}?build=${s.last_good}`;
  if (!s.pages.length && s.build && !document.body.classList.contains("html-mode")) showHtml(true);
  showPages(s.pages);
  if (built && s.ok && current.build >= 0 && s.editions.includes("html")) reloadFrames();
  current = s;
  window.previewState = s;  // for tests and the curious: what the page shows now
  tell();
}

function tell() {  // the unit in the middle of the screen, told to the server when it changes
  const mid = window.innerHeight / 2;
  for (const div of pagesBox.children) {
    const r = div.getBoundingClientRect();
    if (r.top <= mid && r.bottom >= mid - 16) {
      const unit = div.dataset.unit || null;
      if (unit !== looking) {
        looking = unit;
        fetch("/__look", {method: "POST", headers: {"Content-Type": "application/json"},
                          body: JSON.stringify({unit})}).catch(() => {});
      }
      return;
    }
  }
}

let timer = null;
addEventListener("scroll", () => { clearTimeout(timer); timer = setTimeout(tell, 120); }, {passive: true});
addEventListener("resize", () => { if (document.body.classList.contains("html-mode")) scaleDesktop(); });
toggle.addEventListener("click", () => showHtml(!document.body.classList.contains("html-mode")));

const events = new EventSource("/__events");
events.onopen = () => { looking = undefined; };  // a (re)started server is told again what is in view
events.onmessage = (e) => apply(JSON.parse(e.data));
events.onerror = () => { stateBox.textContent = "the preview is not running (retrying)"; stateBox.className = "error"; };
