// pgwarden serve — progressive enhancement only: every page works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // findings: filter rows as you type
  var rule = document.getElementById("f-rule"), sev = document.getElementById("f-severity"),
      table = document.getElementById("f-table"), rows = document.querySelectorAll("tr.finding"),
      count = document.getElementById("count");
  function filterFindings() {
    var n = 0;
    rows.forEach(function (r) {
      var ok = (!rule.value || r.dataset.rule.indexOf(rule.value) === 0) &&
               (!sev.value || r.dataset.severity === sev.value) &&
               (!table.value || r.dataset.table === table.value);
      r.classList.toggle("hidden", !ok);
      if (ok) n++;
    });
    if (count) count.textContent = n + (n === 1 ? " finding shown" : " findings shown");
  }
  if (rule && sev && table) {
    [rule, table].forEach(function (e) { e.addEventListener("input", filterFindings); });
    sev.addEventListener("change", filterFindings);
  }
  // schema: filter tables by name
  var sf = document.getElementById("schema-filter");
  if (sf) sf.addEventListener("input", function () {
    document.querySelectorAll("details.table").forEach(function (d) {
      d.classList.toggle("hidden", d.dataset.name.indexOf(sf.value) < 0);
    });
  });
  // health: reload every interval while the box is ticked (remembered)
  var auto = document.getElementById("autorefresh");
  if (auto) {
    auto.checked = localStorage.getItem("pgw-autorefresh") === "1";
    var tick = function () { if (auto.checked) location.reload(); };
    var every = Math.max(2, parseInt(auto.dataset.seconds, 10) || 5) * 1000;
    setInterval(tick, every);
    auto.addEventListener("change", function () { localStorage.setItem("pgw-autorefresh", auto.checked ? "1" : "0"); });
  }
  // diagnostics: copy the report; nothing is sent anywhere
  var copy = document.getElementById("copy-json");
  if (copy) copy.addEventListener("click", function () {
    var text = document.getElementById(copy.dataset.target).textContent,
        status = document.getElementById("copy-status");
    function done(ok) { status.textContent = ok ? "copied (" + text.length + " characters)" : "select the text and copy it by hand"; }
    if (navigator.clipboard && navigator.clipboard.writeText)
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
    else {
      var r = document.createRange(); r.selectNodeContents(document.getElementById(copy.dataset.target));
      var sel = getSelection(); sel.removeAllRanges(); sel.addRange(r);
      done(document.execCommand("copy"));
    }
  });
}());
