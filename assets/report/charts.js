// perfguard's charts: one chart spec (built by perfguard, pure data) → one
// uPlot chart inside a `.chart` element, drawn only when the element comes
// into view. Shared by the HTML report and the dashboard. After a chart is
// drawn its element gets `data-drawn="1"` (the browser test counts these).
"use strict";

var perfguardCharts = (function () {
  var COLORS = ["#6e7781", "#cf222e", "#0969da", "#1a7f37", "#8250df", "#bc4c00", "#1b7c83"];

  // Numbers in the unit's own words: 1.2 ms, 3.4 MiB, 250/s, 1.5 %.
  function fmt(v, unit) {
    if (v == null || !isFinite(v)) return "–";
    var a = Math.abs(v);
    function r(x) {
      var ax = Math.abs(x);
      return ax >= 100 ? x.toFixed(0) : ax >= 10 ? x.toFixed(1) : x.toFixed(2);
    }
    switch (unit) {
      case "ns":
        if (a >= 1e9) return r(v / 1e9) + " s";
        if (a >= 1e6) return r(v / 1e6) + " ms";
        if (a >= 1e3) return r(v / 1e3) + " µs";
        return r(v) + " ns";
      case "bytes":
        if (a >= 1073741824) return r(v / 1073741824) + " GiB";
        if (a >= 1048576) return r(v / 1048576) + " MiB";
        if (a >= 1024) return r(v / 1024) + " KiB";
        return r(v) + " B";
      case "per_second":
        return r(v) + "/s";
      case "ratio":
        return r(v * 100) + " %";
      case "count":
      case "":
      case undefined:
        return r(v);
      default:
        return r(v) + " " + unit;
    }
  }

  function seriesOf(spec) {
    var out = [{}];
    spec.series.forEach(function (s, i) {
      var color = s.color || COLORS[i % COLORS.length];
      var one = {
        label: s.label,
        stroke: color,
        scale: s.axis === 2 ? "y2" : "y",
        value: function (u, v) { return fmt(v, s.axis === 2 ? spec.unit2 : spec.unit); },
        spanGaps: true,
        // Points on a line only while there are few enough to tell apart.
        points: {
          show: s.draw === "points" || (s.draw === "linepoints" && spec.x.length <= 120),
          size: s.draw === "points" ? 6 : 4,
          fill: color,
        },
      };
      if (s.draw === "points") {
        one.paths = function () { return null; };
      }
      if (s.draw === "band") {
        one.stroke = "rgba(9,105,218,0.35)";
        one.dash = [4, 4];
      }
      out.push(one);
    });
    return out;
  }

  function axesOf(spec) {
    var x = { stroke: "#57606a", grid: { stroke: "#eaeef2" } };
    if (spec.xlabels) {
      x.space = 70;
      x.values = function (u, splits) {
        return splits.map(function (v) {
          var i = Math.round(v);
          return Math.abs(v - i) < 1e-9 && spec.xlabels[i] != null ? spec.xlabels[i] : "";
        });
      };
    } else if (spec.xkind === "quantile") {
      x.values = function (u, splits) {
        return splits.map(function (v) {
          var q = 100 * (1 - 1 / v);
          return q <= 0 ? "" : "p" + +q.toFixed(4);
        });
      };
      x.splits = function () { return spec.x.slice(); };
    } else if (spec.xkind === "group") {
      x.splits = function () { return [0.5, 1.5]; };
      x.values = function (u, splits) {
        return splits.map(function (v) { return v < 1 ? "baseline" : "current"; });
      };
    } else if (spec.xkind === "seconds") {
      x.values = function (u, splits) { return splits.map(function (v) { return v + " s"; }); };
    }
    var axes = [x, {
      stroke: "#57606a", grid: { stroke: "#eaeef2" }, size: 70,
      values: function (u, splits) { return splits.map(function (v) { return fmt(v, spec.unit); }); },
    }];
    if (spec.unit2 != null) {
      axes.push({
        scale: "y2", side: 1, stroke: "#57606a", grid: { show: false }, size: 70,
        values: function (u, splits) { return splits.map(function (v) { return fmt(v, spec.unit2); }); },
      });
    }
    return axes;
  }

  // Change points (vertical lines named by commit) and boxes (quartiles and
  // median of a group of samples), drawn over the plot.
  function overlay(spec) {
    return function (u) {
      var ctx = u.ctx;
      ctx.save();
      (spec.marks || []).forEach(function (m) {
        var x = u.valToPos(m.x, "x", true);
        ctx.strokeStyle = "#bc4c00";
        ctx.setLineDash([5, 3]);
        ctx.lineWidth = 1.5 * devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = "#bc4c00";
        ctx.font = 11 * devicePixelRatio + "px sans-serif";
        ctx.fillText(m.label, x + 4 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
      });
      (spec.boxes || []).forEach(function (b) {
        var x0 = u.valToPos(b.x0, "x", true), x1 = u.valToPos(b.x1, "x", true);
        var q1 = u.valToPos(b.q1, "y", true), q3 = u.valToPos(b.q3, "y", true);
        var med = u.valToPos(b.median, "y", true);
        ctx.strokeStyle = "#24292f";
        ctx.lineWidth = 1 * devicePixelRatio;
        ctx.strokeRect(x0, q3, x1 - x0, q1 - q3);
        ctx.lineWidth = 2.5 * devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(x0, med);
        ctx.lineTo(x1, med);
        ctx.stroke();
      });
      ctx.restore();
    };
  }

  function draw(el, spec) {
    var data = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
    var scales = { x: { time: false }, y: {}, y2: {} };
    if (spec.xkind === "quantile") scales.x.distr = 3;
    if (spec.xkind === "group") scales.x.range = [0, 2];
    var opts = {
      title: spec.title,
      width: Math.max(280, el.clientWidth || 600),
      height: 220,
      scales: scales,
      series: seriesOf(spec),
      axes: axesOf(spec),
      legend: { live: true },
      hooks: { draw: [overlay(spec)] },
    };
    if (spec.bands) {
      opts.bands = spec.bands.map(function (b) {
        return { series: [b[0] + 1, b[1] + 1], fill: "rgba(9,105,218,0.10)" };
      });
    }
    new uPlot(opts, data, el);
    el.dataset.drawn = "1";
  }

  // Draws each `.chart` under `root` when it comes into view; `specOf(el)`
  // gives its spec. Charts out of view are never drawn.
  function lazy(root, specOf) {
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (!e.isIntersecting || e.target.dataset.drawn) return;
        io.unobserve(e.target);
        var spec = specOf(e.target);
        if (spec) draw(e.target, spec);
      });
    }, { rootMargin: "200px 0px" });
    root.querySelectorAll(".chart").forEach(function (el) { io.observe(el); });
    return io;
  }

  function data(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  return { fmt: fmt, draw: draw, lazy: lazy, data: data };
})();
