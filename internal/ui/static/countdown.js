// Live countdown for an FX quote's validity (no framework). The server
// renders the seconds left and the localised text around them; this only
// replaces the number every second and, at zero, says the quote expired,
// hides the convert form and offers to ask again. The server refuses an
// expired quote whatever this script does.
(function () {
  "use strict";
  function start(root) {
    var el = (root || document).querySelector ? (root || document).querySelector("[data-countdown]") : null;
    if (!el || el.dataset.started) { return; }
    el.dataset.started = "1";
    var left = parseInt(el.dataset.countdown, 10) || 0;
    var text = el.textContent;
    var t0 = Date.now();
    function tick() {
      if (!document.body.contains(el)) { return; }
      var n = Math.max(0, left - Math.floor((Date.now() - t0) / 1000));
      if (n > 0) {
        el.textContent = text.replace(/\d+/, String(n));
        setTimeout(tick, 1000 - ((Date.now() - t0) % 1000));
        return;
      }
      el.textContent = el.dataset.expired;
      el.className = "badge red";
      var form = document.getElementById("convert-form");
      if (form) { form.hidden = true; }
      var again = document.getElementById("requote");
      if (again) { again.hidden = false; }
    }
    tick();
  }
  document.addEventListener("DOMContentLoaded", function () { start(document); });
  document.addEventListener("htmx:load", function (e) { start(e.detail && e.detail.elt ? e.detail.elt.ownerDocument : document); });
  start(document);
})();
