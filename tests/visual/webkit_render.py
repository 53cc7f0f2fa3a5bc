"""Render pages in WebKit2GTK (the engine family of Apple Books and Foliate) and measure them.

Run by Debian's own Python under Xvfb (the venv has no PyGObject): ``tests/visual/webkit.py``
starts ``xvfb-run -a /usr/bin/python3 webkit_render.py JOBS.json RESULTS.json``. Each job loads one
page at a width and height, in a light or dark colour scheme (``prefers-color-scheme``), with a
reading system's theme colours and root attributes if asked, scrolled or paginated in CSS
columns as a paginating reader lays a chapter out; it writes a snapshot of the whole document if
asked and returns what ``MEASURE`` (JavaScript, in the page) finds.

Fonts: the renders see only DejaVu among the system's fonts (a private fontconfig file), so a
face the book names is drawn only if the book embeds it — as on a reader's device.
This file uses the standard library and PyGObject only.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

FALLBACK_FONTS = "DejaVuSans.ttf"  # fonts-dejavu-core: the one system face the renders may use


def _private_fontconfig() -> None:
    found = next(Path("/usr/share/fonts").rglob(FALLBACK_FONTS), None)
    if found is None:
        sys.exit(f"webkit_render: {FALLBACK_FONTS} is not installed (Debian: fonts-dejavu-core)")
    folder = Path(tempfile.mkdtemp(prefix="press-webkit-fc-"))
    (folder / "fonts.conf").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{found.parent}</dir>\n  <cachedir>{folder / 'cache'}</cachedir>\n</fontconfig>\n")
    os.environ["FONTCONFIG_FILE"] = str(folder / "fonts.conf")


_private_fontconfig()  # before GTK and WebKit start: the web process inherits the environment
os.environ.setdefault("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
os.environ.setdefault("LIBGL_ALWAYS_SOFTWARE", "1")

import gi  # noqa: E402

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import GLib, Gtk, WebKit2  # noqa: E402

# What a page shows, measured in the page: every visible text element's colours and WCAG contrast
# (opacity and translucent backgrounds composed), the images' boxes, the computed hyphenation of
# chosen elements, and in paginated mode every heading whose text ends in a column before the one
# where the text after it starts.
MEASURE = r"""
const parse = c => {
  const m = c.match(/rgba?\(([^)]+)\)/) || c.match(/color\(srgb ([^)]+)\)/);
  if (!m) return [0, 0, 0, 0];
  const v = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
  const srgb = c.startsWith('color(');
  return [srgb ? v[0] * 255 : v[0], srgb ? v[1] * 255 : v[1], srgb ? v[2] * 255 : v[2], v.length > 3 ? v[3] : 1];
};
const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
const lum = c => {
  const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
};
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const hex = c => '#' + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, '0')).join('');
const chain = el => { const out = []; for (let n = el; n; n = n.parentElement) out.unshift(n); return out; };
const backdrop = el => chain(el).reduce((under, n) => {
  const bg = parse(getComputedStyle(n).backgroundColor);
  return bg[3] > 0 ? over(bg, under) : under;
}, [255, 255, 255, 1]);
const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility === 'visible';
const describe = el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
  ? '.' + el.className.trim().split(/\s+/).join('.') : '');

const texts = [];
for (const el of document.body.querySelectorAll('*')) {
  if (el.closest('svg') || !visible(el)) continue;
  const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.data).join('').trim();
  if (!own) continue;
  const opacity = chain(el).reduce((o, n) => o * parseFloat(getComputedStyle(n).opacity), 1);
  const fg = parse(getComputedStyle(el).color); fg[3] *= opacity;
  const bg = backdrop(el);
  const shown = over(fg, bg);
  texts.push({element: describe(el), text: own.slice(0, 60), color: hex(shown), background: hex(bg),
              ratio: Math.round(ratio(shown, bg) * 100) / 100});
}

const images = [...document.images].filter(visible).map(img => {
  const r = img.getBoundingClientRect();
  return {src: img.getAttribute('src'), left: r.left + scrollX, top: r.top + scrollY, width: r.width, height: r.height,
          background: hex(backdrop(img))};
});

const hyphens = {};
for (const sel of HYPHEN_SELECTORS) {
  const el = document.querySelector(sel);
  if (!el) continue;
  const s = getComputedStyle(el);
  hyphens[sel] = s.getPropertyValue('hyphens') || s.getPropertyValue('-webkit-hyphens');
}

const columns = {width: innerWidth, heights: [], stranded: [], split: [], taller: [], headings: 0};
if (PAGINATED) {
  // The page height changes the column breaks: lay the document out at every height asked for.
  const col = r => Math.floor((r.left + scrollX + 1) / innerWidth);
  const rectsOf = node => { const range = document.createRange(); range.selectNodeContents(node);
    return [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0); };
  const heads = [...document.body.querySelectorAll('h1, h2, h3, h4, h5, h6')].filter(visible);
  columns.headings = heads.length;
  for (const height of HEIGHTS) {
    document.documentElement.style.setProperty('height', height + 'px', 'important');
    const count = Math.round(document.documentElement.scrollWidth / innerWidth);
    columns.heights.push([height, count]);
    for (const h of heads) {
      const own = rectsOf(h);
      if (!own.length) continue;
      let last = h; while (last.lastChild) last = last.lastChild;
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      walker.currentNode = last;
      let next = null, t;
      while (!next && (t = walker.nextNode())) { if (t.data.trim()) next = rectsOf(t)[0] || null; }
      const title = h.textContent.trim();
      if (col(own[0]) !== col(own[own.length - 1])) columns.split.push([height, title]);
      if (next && col(next) > col(own[own.length - 1])) {
        // a heading kept with a figure (or headings kept together) that is taller than a page
        // cannot be kept: reported apart
        const keep = h.closest('.keep-together');
        const tall = keep && [...keep.getClientRects()].reduce((sum, r) => sum + r.height, 0) > height;
        (tall ? columns.taller : columns.stranded).push([height, title]);
      }
    }
  }
  document.documentElement.style.setProperty('height', HEIGHTS[0] + 'px', 'important');
}
return JSON.stringify({texts, images, hyphens, columns, fonts: [...document.fonts].filter(f => f.status === 'loaded')
  .map(f => f.family.replace(/"/g, '') + ' ' + f.weight + ' ' + f.style),
  size: [document.documentElement.scrollWidth, document.documentElement.scrollHeight]});
"""

READY = """
await document.fonts.ready;
await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
"""


def _theme_css(job: dict) -> str:
    """A reading system's theme, as epub.js-based readers inject it: an author-level style sheet
    with the page's colours (more specific than a book's ``html, body``), and in paginated mode
    the columns that make pages."""
    css = ""
    theme = job.get("theme")
    if theme:
        css += f":root {{ color: {theme['fg']}; background-color: {theme['bg']}; }}\n"
    if job.get("paginate"):
        css += (f":root {{ height: {job['height']}px; column-width: {job['width']}px !important; "
                "column-gap: 0 !important; column-fill: auto !important; overflow: hidden !important; }\n")
    return css


def _root_script(job: dict) -> str:
    lines = [f"document.documentElement.setAttribute({json.dumps(k)}, {json.dumps(v)});"
             for k, v in (job.get("root_attrs") or {}).items()]
    if job.get("root_style"):
        lines.append(f"document.documentElement.setAttribute('style', {json.dumps(job['root_style'])});")
    return "\n".join(lines)


class Renderer:
    def __init__(self, jobs: list[dict]):
        self.jobs, self.results, self.index = jobs, [], -1
        self.window = Gtk.OffscreenWindow()
        self.view = None

    def start(self) -> None:
        GLib.idle_add(self.next)
        Gtk.main()

    def next(self) -> bool:
        self.index += 1
        if self.index >= len(self.jobs):
            Gtk.main_quit()
            return False
        job = self.jobs[self.index]
        Gtk.Settings.get_default().props.gtk_application_prefer_dark_theme = job.get("scheme") == "dark"
        content = WebKit2.UserContentManager()
        css = _theme_css(job)
        if css:
            content.add_style_sheet(WebKit2.UserStyleSheet(
                css, WebKit2.UserContentInjectedFrames.ALL_FRAMES, WebKit2.UserStyleLevel.AUTHOR, None, None))
        script = _root_script(job)
        if script:
            content.add_script(WebKit2.UserScript(
                script, WebKit2.UserContentInjectedFrames.ALL_FRAMES, WebKit2.UserScriptInjectionTime.END, None, None))
        if self.view is not None:
            self.window.remove(self.view)
            self.view.destroy()
        self.view = WebKit2.WebView.new_with_user_content_manager(content)
        self.view.get_settings().set_property("allow-file-access-from-file-urls", True)
        self.window.set_size_request(job["width"], job["height"])
        self.window.resize(job["width"], job["height"])
        self.window.add(self.view)
        self.window.show_all()
        self.timer = GLib.timeout_add_seconds(job.get("timeout", 60), self.timeout)
        self.view.connect("load-changed", self.loaded)
        self.view.connect("load-failed", self.failed)
        self.view.load_uri(job["url"])
        return False

    def finish(self, result: dict) -> None:
        GLib.source_remove(self.timer)
        self.results.append(result)
        GLib.idle_add(self.next)

    def timeout(self) -> bool:
        self.results.append({"error": "timed out"})
        GLib.idle_add(self.next)
        return False

    def failed(self, view, event, uri, error) -> bool:
        self.finish({"error": f"could not load {uri}: {error.message}"})
        return True

    def loaded(self, view, event) -> None:
        if event != WebKit2.LoadEvent.FINISHED:
            return
        job = self.jobs[self.index]
        body = READY + MEASURE.replace("HYPHEN_SELECTORS", json.dumps(job.get("hyphens", []))) \
                              .replace("PAGINATED", "true" if job.get("paginate") else "false") \
                              .replace("HEIGHTS", json.dumps(job.get("heights") or [job["height"]]))
        view.call_async_javascript_function(body, -1, None, None, None, None, self.measured)

    def measured(self, view, task) -> None:
        try:
            result = json.loads(view.call_async_javascript_function_finish(task).to_string())
        except GLib.Error as e:
            self.finish({"error": f"JavaScript: {e.message}"})
            return
        job = self.jobs[self.index]
        if not job.get("snapshot"):
            self.finish(result)
            return
        region = WebKit2.SnapshotRegion.VISIBLE if job.get("paginate") else WebKit2.SnapshotRegion.FULL_DOCUMENT

        def shot(view, task):
            try:
                view.get_snapshot_finish(task).write_to_png(job["snapshot"])
            except GLib.Error as e:
                result["error"] = f"snapshot: {e.message}"
            self.finish(result)
        view.get_snapshot(region, WebKit2.SnapshotOptions.NONE, None, shot)


def main(argv: list[str]) -> int:
    jobs = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    renderer = Renderer(jobs)
    renderer.start()
    Path(argv[1]).write_text(json.dumps(renderer.results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
