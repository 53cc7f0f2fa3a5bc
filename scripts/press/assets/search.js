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
  index.forEach(function (e) { e.folded = fold(e.text); });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); });
  input.addEventListener("input", function () {
    var q = fold(input.value.trim());
    list.textContent = "";
    if (q.length < 2) { return; }
    var words = q.split(/\s+/), hits = 0;
    index.forEach(function (e) {
      if (hits >= 12 || !words.every(function (w) { return e.folded.indexOf(w) >= 0; })) { return; }
      hits += 1;
      var at = e.folded.indexOf(words[0]);
      var li = document.createElement("li"), a = document.createElement("a"), s = document.createElement("span");
      a.href = e.href; a.textContent = e.title;
      s.className = "snippet"; s.textContent = "…" + e.text.slice(Math.max(0, at - 40), at + 80) + "…";
      li.appendChild(a); li.appendChild(s); list.appendChild(li);
    });
    if (!hits) { var li = document.createElement("li"); li.textContent = form.dataset.none || "—"; list.appendChild(li); }
  });
})();
