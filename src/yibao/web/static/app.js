// yibao workbench: charts from data-chart attributes (no inline scripts: CSP script-src 'self').
(function () {
  "use strict";
  var fmt = function (v) { return v == null ? "—" : Number(v).toLocaleString("zh-CN"); };
  var builders = {
    fund: function (d) {
      return {
        tooltip: { trigger: "axis" }, legend: { data: ["基金收入", "基金支出", "期末结余", "可支付月数"] },
        grid: { left: 70, right: 50, bottom: 30 },
        xAxis: { type: "category", data: d.years },
        yAxis: [{ type: "value", name: "元", axisLabel: { formatter: fmt } }, { type: "value", name: "月" }],
        series: [
          { name: "基金收入", type: "bar", data: d.income },
          { name: "基金支出", type: "bar", data: d.expense },
          { name: "期末结余", type: "line", data: d.closing },
          { name: "可支付月数", type: "line", yAxisIndex: 1, data: d.reserve }
        ]
      };
    },
    arrival: function (d) {
      return {
        tooltip: { trigger: "axis" }, legend: {}, grid: { left: 70, right: 20, bottom: 30 },
        xAxis: { type: "category", data: d.counties },
        yAxis: { type: "value", name: "到位(元)", axisLabel: { formatter: fmt } },
        series: d.series.map(function (s) { return { name: s.name, type: "bar", stack: "到位", data: s.data }; })
      };
    },
    hospitals: function (d) {
      return {
        tooltip: { trigger: "axis" }, legend: { data: ["涉及金额", "线索数"] }, grid: { left: 180, right: 50 },
        yAxis: { type: "category", data: d.names, inverse: true },
        xAxis: [{ type: "value", name: "元", axisLabel: { formatter: fmt } }, { type: "value", name: "条" }],
        series: [{ name: "涉及金额", type: "bar", data: d.amounts }, { name: "线索数", type: "bar", xAxisIndex: 1, data: d.counts }]
      };
    },
    bars: function (d) {
      return { tooltip: {}, grid: { left: 60, right: 20, bottom: 30 }, xAxis: { type: "category", data: d.names },
        yAxis: { type: "value", name: d.unit }, series: [{ type: "bar", data: d.values }] };
    }
  };
  function draw(root) {
    if (!window.echarts) { return; }
    (root || document).querySelectorAll(".chart[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var build = builders[el.dataset.kind];
      if (!build) { return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(Object.assign({ animation: false, textStyle: { fontFamily: "Noto Sans CJK SC, sans-serif" } }, build(JSON.parse(el.dataset.chart))));
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  function wire(root) {
    (root || document).querySelectorAll("select.js-autosubmit").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
    (root || document).querySelectorAll("a.js-back").forEach(function (a) {
      a.addEventListener("click", function (e) { e.preventDefault(); history.back(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(); wire(); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); wire(e.target); });
})();
