// Full-text search over the prebuilt index (search-index.js); no server, no other script.
// Without JavaScript the form stays hidden and the contents list every chapter.
(function () {
  var index = window.BOOK_INDEX;
  var form = document.querySelector(".search");
  if (!index || !form) { return; }
  form.hidden = false;
  var input = document.getElementById("search-input");
  var list = document.getElementById("search-results");
  function fold(s) { return s.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, ""); }
  index.forEach(function (e) {
    e.foldedText = fold(e.text);
    e.folded = fold(e.title + " " + (e.authors || "")) + " " + e.foldedText;
  });
  // A snippet of about 120 characters around the first match, cut at spaces, never inside a word.
  function snippet(text, at) {
    var start = Math.max(0, at - 40), end = Math.min(text.length, Math.max(at, 0) + 80);
    if (start > 0) {
      var space = text.indexOf(" ", start - 1);
      start = space >= 0 && space < at ? space + 1 : start;
      while (start > 0 && /\S/.test(text.charAt(start - 1))) { start -= 1; }
    }
    if (end < text.length) {
      var back = text.lastIndexOf(" ", end);
      end = back > at ? back : end;
      while (end < text.length && /\S/.test(text.charAt(end))) { end += 1; }
    }
    return (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? "…" : "");
  }
  form.addEventListener("submit", function (ev) { ev.preventDefault(); });
  input.addEventListener("input", function () {
    var q = fold(input.value.trim());
    list.textContent = "";
    if (q.length < 2) { return; }
    var words = q.split(/\s+/), hits = 0;
    index.forEach(function (e) {
      if (hits >= 12 || !words.every(function (w) { return e.folded.indexOf(w) >= 0; })) { return; }
      hits += 1;
      var li = document.createElement("li"), a = document.createElement("a"), s = document.createElement("span");
      a.href = e.href; a.textContent = e.title;
      li.appendChild(a);
      if (e.authors) {
        var by = document.createElement("span");
        by.className = "authors"; by.textContent = e.authors;
        li.appendChild(by);
      }
      s.className = "snippet"; s.textContent = snippet(e.text, Math.max(0, e.foldedText.indexOf(words[0])));
      li.appendChild(s); list.appendChild(li);
    });
    if (!hits) { var li = document.createElement("li"); li.textContent = form.dataset.none || "—"; list.appendChild(li); }
  });
})();
