// The teacher's page: reads GET /api/class (the teacher's code as a Bearer token) every second.
// All text goes in with textContent: student names and statuses are data, never markup.
(function () {
  "use strict";

  var KEY = "safe-python-teacher-code";
  var POLL_MS = 1000;
  var timer = null;

  function $(id) { return document.getElementById(id); }

  function el(tag, text) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function stored() {
    try { return window.sessionStorage.getItem(KEY) || ""; } catch (e) { return ""; }
  }

  function keep(code) {
    try {
      if (code) { window.sessionStorage.setItem(KEY, code); } else { window.sessionStorage.removeItem(KEY); }
    } catch (e) { /* private mode */ }
  }

  function usageText(run) {
    var u = run.usage;
    if (!u) { return ""; }
    var parts = [];
    if (u.peak_mib !== null && u.peak_mib !== undefined) { parts.push(u.peak_mib.toFixed(1) + " MiB"); }
    if (u.cpu_s !== null && u.cpu_s !== undefined) { parts.push(u.cpu_s.toFixed(2) + " s CPU"); }
    if (u.peak_tasks !== null && u.peak_tasks !== undefined) { parts.push(u.peak_tasks + " tasks"); }
    if (u.forks_refused) { parts.push(u.forks_refused + " forks refused"); }
    return parts.join(", ");
  }

  function show(view) {
    $("join").hidden = true;
    $("view").hidden = false;
    $("class-name").textContent = "Class " + view["class"];
    $("queue").textContent = view.queue.waiting + " run(s) waiting";
    var totals = $("totals");
    totals.textContent = "";
    totals.appendChild(el("li", view.totals.runs + " runs"));
    Object.keys(view.totals.by_status).sort().forEach(function (status) {
      totals.appendChild(el("li", view.totals.by_status[status] + " " + status));
    });
    Object.keys(view.totals.by_stopped_by).sort().forEach(function (control) {
      totals.appendChild(el("li", view.totals.by_stopped_by[control] + " stopped by " + control));
    });
    var body = $("students");
    body.textContent = "";
    view.students.forEach(function (student) {
      var last = student.runs[0];
      var row = el("tr");
      row.setAttribute("data-student", student.name);
      row.appendChild(el("th", student.name)).setAttribute("scope", "row");
      row.appendChild(el("td", student.runs_total));
      row.appendChild(el("td", last ? last.status : "no run yet")).className = "status";
      row.appendChild(el("td", last && last.stopped_by ? last.stopped_by : "")).className = "stopped-by";
      row.appendChild(el("td", last ? usageText(last) : ""));
      row.appendChild(el("td", student.runs.slice(0, 10).map(function (r) { return r.status; }).join(" ")));
      body.appendChild(row);
    });
  }

  function poll(code) {
    window.clearTimeout(timer);
    return fetch("/api/class", { headers: { Accept: "application/json", Authorization: "Bearer " + code } })
      .then(function (response) {
        return response.json().then(function (data) { return { status: response.status, data: data }; });
      })
      .then(function (answer) {
        if (answer.status !== 200) {
          keep("");
          $("view").hidden = true;
          $("join").hidden = false;
          $("join-status").textContent = (answer.data && answer.data.error) || "Refused.";
          return;
        }
        keep(code);
        show(answer.data);
        timer = window.setTimeout(function () { poll(code); }, POLL_MS);
      }, function () {
        $("join-status").textContent = "The server did not answer; trying again.";
        timer = window.setTimeout(function () { poll(code); }, POLL_MS * 3);
      });
  }

  function start() {
    $("join").addEventListener("submit", function (event) {
      event.preventDefault();
      var code = $("join-code").value.trim();
      if (code) { $("join-code").value = ""; poll(code); }
    });
    var code = stored();
    if (code) { poll(code); }
    document.body.setAttribute("data-ready", "true");
  }

  document.addEventListener("DOMContentLoaded", start);
}());
