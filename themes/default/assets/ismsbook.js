// ismsbook default theme behaviour: the shared sidebar (from nav.js), the menu button, light
// and dark mode, table filters with a live count, keyboard-reachable sorting, scrollable tables.
// Works from file:// and under any sub-path: every URL is relative to data-root. Nothing here
// scrolls the window: the page opens at its title.
(function () {
  "use strict";
  var doc = document.documentElement;
  var body = document.body;
  var root = body.getAttribute("data-root") || "";
  var here = body.getAttribute("data-page") || "";

  function store(key, value) {
    try {
      if (value === null) { localStorage.removeItem(key); } else { localStorage.setItem(key, value); }
    } catch (e) { /* private mode, file:// without storage: nothing is remembered */ }
  }
  function load(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // ---- Sidebar: one shared nav.js, collapsible groups remembered per book ----
  var NAV_KEY = "ismsbook-nav-closed:" + document.title.split(" · ").pop();
  function closedGroups() {
    try { return JSON.parse(load(NAV_KEY) || "{}") || {}; } catch (e) { return {}; }
  }
  function buildNav() {
    var side = document.getElementById("sidebar");
    var nav = window.ISMSBOOK_NAV;
    if (!side || !nav) { return; }
    var closed = closedGroups();
    var tree = el("ul", { "class": "nav-tree" });
    nav.forEach(function (group, gi) {
      var li = el("li");
      if (group.u) {
        li.appendChild(link(group));
      } else {
        li.className = "nav-group";
        var items = group.c || [];
        var holdsHere = items.some(function (i) { return i.u === here; });
        var open = holdsHere || (closed[group.t] === undefined ? items.length <= 20 : !closed[group.t]);
        var id = "nav-group-" + gi;
        var toggle = el("button", { "type": "button", "class": "nav-group-toggle", "aria-expanded": String(open), "aria-controls": id }, group.t);
        toggle.addEventListener("click", function () {
          var now = toggle.getAttribute("aria-expanded") !== "true";
          toggle.setAttribute("aria-expanded", String(now));
          var state = closedGroups();
          state[group.t] = !now;
          store(NAV_KEY, JSON.stringify(state));
        });
        li.appendChild(toggle);
        var sub = el("ul", { id: id });
        items.forEach(function (item) { var s = el("li"); s.appendChild(link(item)); sub.appendChild(s); });
        li.appendChild(sub);
      }
      tree.appendChild(li);
    });
    side.textContent = "";
    side.appendChild(tree);
    revealCurrent();
  }
  function link(item) {
    var a = el("a", { href: root + item.u }, item.t);
    if (item.u === here) { a.setAttribute("aria-current", "page"); }
    return a;
  }
  // Scrolls the sidebar container (never the window) so that the current page shows.
  function revealCurrent() {
    var side = document.getElementById("sidebar");
    var active = side && side.querySelector("[aria-current=page]");
    if (!active || side.clientHeight === 0) { return; }
    var top = active.getBoundingClientRect().top - side.getBoundingClientRect().top + side.scrollTop;
    if (top < side.scrollTop || top > side.scrollTop + side.clientHeight - 40) {
      side.scrollTop = Math.max(0, top - side.clientHeight / 3);
    }
  }

  // ---- Menu button (phones): the sidebar as a drawer ----
  function setupMenu() {
    var button = document.getElementById("menu-toggle");
    var side = document.getElementById("sidebar");
    if (!button || !side) { return; }
    function set(open) {
      body.classList.toggle("nav-open", open);
      button.setAttribute("aria-expanded", String(open));
      if (open) {
        revealCurrent();
        var first = side.querySelector("[aria-current=page]") || side.querySelector("a, button");
        if (first) { first.focus({ preventScroll: true }); }
      }
    }
    button.addEventListener("click", function () { set(!body.classList.contains("nav-open")); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && body.classList.contains("nav-open")) { set(false); button.focus(); }
    });
    document.addEventListener("click", function (e) {
      if (body.classList.contains("nav-open") && !side.contains(e.target) && !button.contains(e.target)) { set(false); }
    });
  }

  // ---- Light / dark: follows the system until the reader chooses, then remembers ----
  function setupTheme() {
    var button = document.getElementById("theme-toggle");
    if (!button) { return; }
    var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
    function isDark() {
      var chosen = doc.getAttribute("data-theme");
      return chosen ? chosen === "dark" : !!(media && media.matches);
    }
    function show() { button.setAttribute("aria-pressed", String(isDark())); }
    button.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      doc.setAttribute("data-theme", next);
      store("ismsbook-theme", next);
      show();
    });
    if (media && media.addEventListener) { media.addEventListener("change", show); }
    show();
  }

  // ---- Filters: select boxes over a table, linkable (?status=planned), with a live count ----
  function setupFilters() {
    document.querySelectorAll("[data-filter-table]").forEach(function (box) {
      var table = document.getElementById(box.getAttribute("data-filter-table"));
      if (!table) { return; }
      var selects = box.querySelectorAll("select[data-filter]");
      function apply() {
        table.querySelectorAll("tbody tr").forEach(function (tr) {
          var show = true;
          selects.forEach(function (sel) {
            var want = sel.value;
            if (!want) { return; }
            var have = (tr.getAttribute("data-" + sel.getAttribute("data-filter")) || "").split(" ");
            if (have.indexOf(want) < 0) { show = false; }
          });
          tr.hidden = !show;
        });
        updateCounts(table);
      }
      selects.forEach(function (sel) { sel.addEventListener("change", apply); });
      var params = new URLSearchParams(window.location.search);
      var preset = false;
      selects.forEach(function (sel) {
        var v = params.get(sel.getAttribute("data-filter"));
        if (v !== null) { sel.value = v; preset = true; }
      });
      if (preset) { apply(); }
    });
  }
  // <span data-count-for="TABLE" data-where="attr=value">: visible rows (matching) of TABLE.
  function updateCounts(table) {
    var rows = Array.prototype.filter.call(table.querySelectorAll("tbody tr"), function (tr) { return !tr.hidden; });
    document.querySelectorAll("[data-count-for='" + table.id + "']").forEach(function (span) {
      var where = span.getAttribute("data-where");
      var n = rows.length;
      if (where) {
        var kv = where.split("=");
        n = rows.filter(function (tr) { return tr.getAttribute("data-" + kv[0]) === kv[1]; }).length;
      }
      span.textContent = String(n);
    });
  }

  // ---- Sorting: a button in each header cell, aria-sort shows the direction ----
  function setupSorting() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      var heads = table.querySelectorAll("thead th");
      heads.forEach(function (th, col) {
        var label = th.textContent;
        var button = el("button", { "type": "button", "class": "sort" }, label);
        th.textContent = "";
        th.appendChild(button);
        button.addEventListener("click", function () {
          var asc = th.getAttribute("aria-sort") !== "ascending";
          heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", asc ? "ascending" : "descending");
          var tbody = table.tBodies[0];
          var rows = Array.prototype.slice.call(tbody.rows);
          rows.sort(function (a, b) {
            var x = a.cells[col].getAttribute("data-sort") || a.cells[col].textContent.trim();
            var y = b.cells[col].getAttribute("data-sort") || b.cells[col].textContent.trim();
            return (asc ? 1 : -1) * x.localeCompare(y, undefined, { numeric: true });
          });
          rows.forEach(function (r) { tbody.appendChild(r); });
        });
      });
    });
  }

  // ---- Tables wider than the screen scroll in their own box, reachable by keyboard ----
  function markScrollables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        var cap = wrap.querySelector("caption");
        wrap.setAttribute("aria-label", cap ? cap.textContent : "Table (scrolls sideways)");
      } else if (wrap.getAttribute("role") === "region") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }

  buildNav();
  setupMenu();
  setupTheme();
  setupFilters();
  setupSorting();
  markScrollables();
  window.addEventListener("resize", markScrollables);
})();
