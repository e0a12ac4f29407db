// The HTML report: every `.chart` names its spec in the page's one JSON blob.
"use strict";
(function () {
  var page = perfguardCharts.data("perfguard-data");
  perfguardCharts.lazy(document, function (el) { return page.charts[+el.dataset.chart]; });
})();
