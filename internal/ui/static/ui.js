// bricstown — the one script of the pages' own (htmx aside). It only
// enhances: every page works without it.
//
// A wide table may scroll sideways inside its box on a narrow screen. A
// keyboard user must be able to reach such a box to scroll it (WCAG 2.1.1;
// axe-core's scrollable-region-focusable), so a box that scrolls joins the
// tab order, and leaves it again when the window grows and it no longer
// scrolls. The boxes are those that style.css lets scroll.
(function () {
  "use strict";
  var boxes = ".table-wrap, .card, main table, .chart-card";
  function mark() {
    var all = document.querySelectorAll(boxes);
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      var x = getComputedStyle(el).overflowX;
      var scrolls = (x === "auto" || x === "scroll") && el.scrollWidth > el.clientWidth + 1;
      if (scrolls && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        el.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && el.hasAttribute("data-scroll-focus")) {
        el.removeAttribute("tabindex");
        el.removeAttribute("data-scroll-focus");
      }
    }
  }

  // The navigation is one row on a wide screen whatever the language: the
  // entries that do not fit move, from the end, into a "More" list (a
  // popover) at the end of the row, and come back when there is room.
  // Without this script the row wraps; on a phone the whole navigation is
  // the Menu popover (style.css) and nothing moves.
  function fitNav() {
    var nav = document.getElementById("main-nav");
    if (!nav) return;
    var more = document.getElementById("nav-more");
    var list = document.getElementById("nav-more-list");
    if (!more) {
      more = document.createElement("div");
      more.className = "nav-more";
      var button = document.createElement("button");
      button.type = "button";
      button.id = "nav-more-button";
      button.setAttribute("popovertarget", "nav-more-list");
      button.textContent = (nav.getAttribute("data-more") || "More") + " \u25BE";
      list = document.createElement("div");
      list.id = "nav-more-list";
      list.setAttribute("popover", "");
      list.addEventListener("beforetoggle", function (e) {
        if (e.newState !== "open") return;
        var r = button.getBoundingClientRect();
        list.style.top = r.bottom + 4 + "px";
        list.style.left = Math.max(8, Math.min(r.left, window.innerWidth - 280)) + "px";
      });
      more.id = "nav-more";
      more.appendChild(button);
      more.appendChild(list);
      nav.appendChild(more);
    }
    while (list.firstChild) nav.insertBefore(list.firstChild, more);
    more.hidden = true;
    var toggle = document.querySelector("header.top .menu-toggle");
    if (toggle && getComputedStyle(toggle).display !== "none") return;
    var links = nav.querySelectorAll(":scope > a");
    if (!links.length) return;
    var top = links[0].offsetTop;
    function wraps() {
      var rest = nav.querySelectorAll(":scope > a");
      return rest[rest.length - 1].offsetTop !== top || (!more.hidden && more.offsetTop !== top);
    }
    if (!wraps()) return;
    more.hidden = false;
    for (var i = links.length - 1; i > 0 && wraps(); i--) {
      list.insertBefore(links[i], list.firstChild);
    }
  }

  function all() { fitNav(); mark(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
  window.addEventListener("resize", all);
  document.addEventListener("htmx:afterSettle", mark);
})();
