// The dashboard: the page's one JSON blob → a card per series, grouped by
// suite, environment and phase; the search box and the suite menu hide
// cards; a card's chart is drawn only when it scrolls into view.
"use strict";
(function () {
  var site = perfguardCharts.data("perfguard-data");
  var root = document.getElementById("groups");
  var search = document.getElementById("search");
  var menu = document.getElementById("group");
  var stepped = document.getElementById("stepped");
  var shown = document.getElementById("shown");
  var cards = [];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function short(sha) { return sha ? sha.slice(0, 7) : "uncommitted"; }

  function label(run) {
    return run.sha ? short(run.sha) : new Date(run.t * 1000).toISOString().slice(5, 16).replace("T", " ");
  }

  function commitLink(sha) {
    if (!sha) return el("span", null, "uncommitted");
    if (!site.commit_url) return el("code", null, short(sha));
    var a = el("a", null, short(sha));
    a.href = site.commit_url + encodeURIComponent(sha);
    a.rel = "noopener";
    return a;
  }

  function specOf(group, series) {
    return {
      title: series.phase + " / " + series.metric,
      xkind: "index",
      x: group.runs.map(function (_, i) { return i; }),
      xlabels: group.runs.map(label),
      unit: series.unit,
      series: [{ label: series.metric, values: series.values, draw: "linepoints", color: "#0969da" }],
      marks: series.steps.map(function (s) { return { x: s.i, label: short(group.runs[s.i].sha) }; }),
    };
  }

  site.groups.forEach(function (group, g) {
    var name = group.suite + " · " + group.environment;
    var opt = el("option", null, name);
    opt.value = String(g);
    menu.appendChild(opt);
    var section = el("section", "group");
    section.dataset.group = String(g);
    section.appendChild(el("h2", null, name + " (" + group.runs.length + " runs)"));
    var phase = null;
    var cardsOf = null;
    group.metrics.forEach(function (series) {
      if (series.phase !== phase) {
        phase = series.phase;
        section.appendChild(el("h3", "phase-name", phase));
        cardsOf = el("div", "cards");
        section.appendChild(cardsOf);
      }
      var card = el("div", "metric");
      card.appendChild(el("h3", null, series.metric));
      if (series.steps.length) {
        var p = el("p", "steps", "change points: ");
        series.steps.forEach(function (s, k) {
          if (k) p.appendChild(document.createTextNode(", "));
          p.appendChild(commitLink(group.runs[s.i].sha));
          if (s.change != null) {
            p.appendChild(document.createTextNode(" (" + (s.change > 0 ? "+" : "") + (s.change * 100).toFixed(1) + " %)"));
          }
        });
        card.appendChild(p);
      }
      var chart = el("div", "chart");
      chart._spec = function () { return specOf(group, series); };
      card.appendChild(chart);
      cardsOf.appendChild(card);
      cards.push({
        card: card, group: g, stepped: series.steps.length > 0,
        text: (group.suite + " " + group.environment + " " + series.phase + " " + series.metric).toLowerCase(),
      });
    });
    root.appendChild(section);
  });

  function filter() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var g = menu.value;
    var n = 0;
    cards.forEach(function (c) {
      var ok = (g === "" || String(c.group) === g) && (!stepped.checked || c.stepped) &&
        words.every(function (w) { return c.text.indexOf(w) >= 0; });
      c.card.classList.toggle("hidden", !ok);
      if (ok) n++;
    });
    document.querySelectorAll("section.group .cards").forEach(function (c) {
      var empty = !c.querySelector(".metric:not(.hidden)");
      c.classList.toggle("hidden", empty);
      c.previousSibling.classList.toggle("hidden", empty);
    });
    document.querySelectorAll("section.group").forEach(function (s) {
      s.classList.toggle("hidden", !s.querySelector(".metric:not(.hidden)"));
    });
    shown.textContent = n + " of " + cards.length + " series";
  }
  search.addEventListener("input", filter);
  menu.addEventListener("change", filter);
  stepped.addEventListener("change", filter);
  filter();
  perfguardCharts.lazy(root, function (e) { return e._spec(); });
})();
