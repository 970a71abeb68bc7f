// Draws the charts of a report page (monthly analysis report) with the vendored ECharts from
// the page's JSON block (#report-charts). Each chart's figures are also in the table beneath
// it, so without script (or printed from a saved copy) nothing is lost.
(function () {
  'use strict';
  function ready(fn) {
    if (document.readyState !== 'loading') fn(); else document.addEventListener('DOMContentLoaded', fn);
  }
  ready(function () {
    var block = document.getElementById('report-charts');
    if (!block || typeof echarts === 'undefined') return;
    var charts = JSON.parse(block.textContent);
    var drawn = [];
    charts.forEach(function (c, i) {
      var el = document.getElementById('report-chart-' + i);
      if (!el) return;
      var chart = echarts.init(el, null, { renderer: 'canvas' });
      chart.setOption({
        animation: false,
        color: ['#1d5fbf', '#9a6b00', '#2e7d32', '#b3261e'],
        tooltip: { trigger: 'axis' },
        legend: { bottom: 0 },
        grid: { left: 48, right: 16, top: 16, bottom: 56, containLabel: true },
        xAxis: { type: 'category', data: c.categories, axisLabel: { interval: 0, rotate: c.categories.length > 6 ? 30 : 0 } },
        yAxis: { type: 'value', name: c.unit, minInterval: 1 },
        series: c.series.map(function (s) {
          return { name: s.name, type: c.kind === 'line' ? 'line' : 'bar', data: s.values };
        })
      });
      drawn.push(chart);
    });
    window.addEventListener('resize', function () { drawn.forEach(function (c) { c.resize(); }); });
    window.addEventListener('beforeprint', function () { drawn.forEach(function (c) { c.resize(); }); });
  });
})();
