// ismsbook default theme behaviour: the shared sidebar (from nav.js), table filters and sorting.
// Works from file:// and under any sub-path: every URL is relative to data-root.
(function () {
  "use strict";
  var root = document.body.getAttribute("data-root") || "";
  var here = document.body.getAttribute("data-page") || "";

  function link(item) {
    var a = document.createElement("a");
    a.href = root + item.u;
    a.textContent = item.t;
    if (item.u === here) { a.className = "active"; }
    return a;
  }

  function buildNav() {
    var side = document.getElementById("sidebar");
    var nav = window.ISMSBOOK_NAV;
    if (!side || !nav) { return; }
    var ul = document.createElement("ul");
    nav.forEach(function (group) {
      var li = document.createElement("li");
      if (group.u) { li.appendChild(link(group)); }
      else { var g = document.createElement("div"); g.className = "group"; g.textContent = group.t; li.appendChild(g); }
      if (group.c && group.c.length) {
        var sub = document.createElement("ul");
        group.c.forEach(function (item) { var s = document.createElement("li"); s.appendChild(link(item)); sub.appendChild(s); });
        li.appendChild(sub);
      }
      ul.appendChild(li);
    });
    side.appendChild(ul);
    var active = side.querySelector("a.active");
    if (active && active.scrollIntoView) { active.scrollIntoView({ block: "center" }); }
  }

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
          tr.style.display = show ? "" : "none";
        });
      }
      selects.forEach(function (sel) { sel.addEventListener("change", apply); });
      // Filters can be linked: soa.html?status=planned&theme=people
      var params = new URLSearchParams(window.location.search);
      var preset = false;
      selects.forEach(function (sel) {
        var v = params.get(sel.getAttribute("data-filter"));
        if (v !== null) { sel.value = v; preset = true; }
      });
      if (preset) { apply(); }
    });
  }

  function setupSorting() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      table.querySelectorAll("thead th").forEach(function (th, col) {
        th.addEventListener("click", function () {
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          var asc = th.getAttribute("data-sort") !== "asc";
          rows.sort(function (a, b) {
            var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
            return (asc ? 1 : -1) * x.localeCompare(y, undefined, { numeric: true });
          });
          rows.forEach(function (r) { body.appendChild(r); });
          th.setAttribute("data-sort", asc ? "asc" : "desc");
        });
      });
    });
  }

  buildNav();
  setupFilters();
  setupSorting();
})();
