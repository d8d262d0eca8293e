(function () {
  "use strict";
  var table = document.getElementById("gap-table");
  if (!table) { return; }
  var selects = document.querySelectorAll("select[data-filter]");
  var search = document.getElementById("gap-search");
  var shown = document.getElementById("gap-shown");
  var rows = table.tBodies[0].rows;
  function apply() {
    var want = {};
    var needle = search.value.trim().toLowerCase();
    var n = 0;
    Array.prototype.forEach.call(selects, function (s) { if (s.value) { want[s.getAttribute("data-filter")] = s.value; } });
    Array.prototype.forEach.call(rows, function (r) {
      var ok = true;
      for (var k in want) { if (r.getAttribute("data-" + k) !== want[k]) { ok = false; break; } }
      if (ok && needle && r.textContent.toLowerCase().indexOf(needle) < 0) { ok = false; }
      r.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }
  Array.prototype.forEach.call(selects, function (s) { s.addEventListener("change", apply); });
  search.addEventListener("input", apply);
  document.getElementById("gap-reset").addEventListener("click", function () {
    Array.prototype.forEach.call(selects, function (s) { s.value = ""; });
    search.value = "";
    apply();
  });
  var heat = document.getElementById("heat-table");
  if (heat) {
    var heads = heat.querySelectorAll("th[data-practice]");
    heat.addEventListener("click", function (ev) {
      var td = ev.target.closest ? ev.target.closest("td.c") : null;
      var tr = td ? td.parentNode : null;
      if (!td || !tr.getAttribute("data-project") || td.classList.contains("none")) { return; }
      var head = heads[td.cellIndex - 2];
      document.querySelector('select[data-filter="project"]').value = tr.getAttribute("data-project");
      document.querySelector('select[data-filter="practice"]').value = head ? head.getAttribute("data-practice") : "";
      apply();
      document.getElementById("gaps").scrollIntoView();
    });
  }
  document.documentElement.setAttribute("data-ready", "1");
}());
