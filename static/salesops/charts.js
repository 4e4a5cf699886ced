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

  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined, {
    maximumFractionDigits: 1,
  });

  function formatted(value) {
    if (Array.isArray(value)) value = value[value.length - 1];
    if (value && typeof value === "object") value = value.value;
    return typeof value === "number" ? numbers.format(value) : value;
  }

  // Numbers in labels and tooltips are grouped the reader's way (430,000), which a JSON
  // option cannot say by itself.
  function withNumberFormats(option) {
    option.tooltip = Object.assign({ valueFormatter: formatted }, option.tooltip || {});
    (Array.isArray(option.series) ? option.series : [option.series || {}]).forEach(function (series) {
      if (series.label && series.label.show && !series.label.formatter) {
        series.label.formatter = function (params) {
          return series.type === "funnel" ? params.name + ": " + formatted(params.value) : formatted(params.value);
        };
      }
    });
    return option;
  }

  function draw(box) {
    if (!window.echarts || box.dataset.chartDrawn) return;
    var source = document.getElementById(box.dataset.chart);
    if (!source) return;
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption(withNumberFormats(JSON.parse(source.textContent)));
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
