/* Charts drawn by ECharts from options the server renders.
 *
 * Markup: <div class="chart" data-chart="OPTION_ID"></div> beside
 * {{ option|json_script:"OPTION_ID" }}. The server builds the whole option (series, labels,
 * already translated); this file only draws it, keeps it sized to its box, and draws again
 * what htmx swaps in. A chart whose points are links (data items with a "url") opens them
 * on click, which is how a number drills down to the deals behind it.
 */
(function () {
  "use strict";

  function draw(box) {
    if (!window.echarts || box.dataset.chartDrawn) return;
    var source = document.getElementById(box.dataset.chart);
    if (!source) return;
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption(JSON.parse(source.textContent));
    chart.on("click", function (params) {
      var url = params.data && params.data.url;
      if (url) window.location.assign(url);
    });
    box.dataset.chartDrawn = "1";
    new ResizeObserver(function () { chart.resize(); }).observe(box);
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
})();
