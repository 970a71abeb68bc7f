// Draws the dashboard's charts with the vendored ECharts from the page's JSON data block
// (#dashboard-data). The tables below each chart hold the same figures, so without script
// nothing is lost. A click on a bar or slice opens the list of its cases.
(function () {
  'use strict';
  function ready(fn) {
    if (document.readyState !== 'loading') fn(); else document.addEventListener('DOMContentLoaded', fn);
  }
  ready(function () {
    var block = document.getElementById('dashboard-data');
    if (!block || typeof echarts === 'undefined') return;
    var data = JSON.parse(block.textContent);
    var charts = [];
    function chart(id, option, rows) {
      var el = document.getElementById(id);
      if (!el) return;
      var c = echarts.init(el, null, { renderer: 'canvas' });
      c.setOption(option);
      c.on('click', function (p) {
        var r = rows[p.dataIndex];
        if (r && r.href) window.location.href = r.href;
      });
      charts.push(c);
    }
    var labels = function (rows) { return rows.map(function (r) { return r.label; }); };
    var pick = function (rows, k) { return rows.map(function (r) { return r[k]; }); };
    chart('chart-months', {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 36, bottom: 32 },
      xAxis: { type: 'category', data: labels(data.months) },
      yAxis: [{ type: 'value', name: '件' }, { type: 'value', name: '%', max: 100 }],
      series: [
        { name: '登记', type: 'bar', data: pick(data.months, 'received') },
        { name: '办结', type: 'bar', data: pick(data.months, 'closed') },
        { name: '办结率', type: 'line', yAxisIndex: 1, data: pick(data.months, 'closed_rate') },
        { name: '按期办结率', type: 'line', yAxisIndex: 1, data: pick(data.months, 'on_time_rate') },
        { name: '满意率', type: 'line', yAxisIndex: 1, data: pick(data.months, 'satisfied_rate') }
      ]
    }, data.months);
    var cats = data.categories.slice().reverse();
    chart('chart-categories', {
      tooltip: { trigger: 'axis' },
      grid: { left: 160, right: 24, top: 8, bottom: 24 },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', data: labels(cats) },
      series: [{ name: '登记', type: 'bar', data: pick(cats, 'received') }]
    }, cats);
    chart('chart-towns', {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 24, top: 36, bottom: 56 },
      xAxis: { type: 'category', data: labels(data.towns), axisLabel: { rotate: 30 } },
      yAxis: { type: 'value' },
      series: [
        { name: '登记', type: 'bar', data: pick(data.towns, 'received') },
        { name: '当前超期', type: 'bar', data: pick(data.towns, 'overdue') }
      ]
    }, data.towns);
    chart('chart-channels', {
      tooltip: { trigger: 'item' },
      series: [{ name: '来源渠道', type: 'pie', radius: ['35%', '65%'],
        data: data.channels.map(function (r) { return { name: r.label, value: r.received }; }) }]
    }, data.channels);
    window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  });
})();
