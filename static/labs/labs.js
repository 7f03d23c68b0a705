// Lab page timer: shows the time spent since the lab was started (or reset), ticking once
// a second. Without JavaScript the page shows the time at render instead.
(function () {
  "use strict";

  function format(seconds) {
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    var pad = function (n) { return n < 10 ? "0" + n : String(n); };
    return (hours ? hours + ":" + pad(minutes) : String(minutes)) + ":" + pad(rest);
  }

  function tick() {
    document.querySelectorAll("time.lab-timer[data-started]").forEach(function (timer) {
      var started = Date.parse(timer.dataset.started);
      if (!isNaN(started)) {
        timer.textContent = format(Math.max(0, Math.floor((Date.now() - started) / 1000)));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 1000);
  });
})();
