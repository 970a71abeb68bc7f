// Small progressive enhancements; every page works without them.
(function () {
  // Intake: show only the fields the chosen channel needs.
  function syncChannel() {
    var sel = document.getElementById('channel');
    if (!sel) return;
    document.querySelectorAll('[data-channels]').forEach(function (el) {
      var on = el.getAttribute('data-channels').split(' ').indexOf(sel.value) >= 0;
      el.hidden = !on;
    });
  }
  document.addEventListener('change', function (e) { if (e.target && e.target.id === 'channel') syncChannel(); });
  document.addEventListener('DOMContentLoaded', syncChannel);
  // Batch routing: select all.
  document.addEventListener('change', function (e) {
    if (e.target && e.target.id === 'select-all') {
      document.querySelectorAll('input[name=ids]').forEach(function (c) { c.checked = e.target.checked; });
    }
  });
  // Print buttons.
  document.addEventListener('click', function (e) {
    if (e.target && e.target.matches('[data-print]')) { e.preventDefault(); window.print(); }
  });
})();
