// The task form: prefill each task's example arguments and queue, and explain the schedule
// as it is typed (what it means, and its next five runs in the site's time zone).
(function () {
  "use strict";
  var form = document.getElementById("task-form");
  if (!form) return;
  var examples = JSON.parse(document.getElementById("task-examples").textContent);
  var task = form.elements["task"], args = form.elements["args"], kwargs = form.elements["kwargs"];
  var queue = form.elements["queue"], schedule = form.elements["schedule"];
  var preview = document.getElementById("schedule-preview");
  var kwargsHelp = document.getElementById(kwargs.id + "_helptext");
  var scheduleError = document.getElementById(schedule.id + "_error");
  var edited = false;

  [args, kwargs].forEach(function (field) {
    field.addEventListener("input", function () { edited = true; });
  });
  task.addEventListener("change", function () {
    var example = examples[task.value];
    if (!example) return;
    if (!edited) {
      args.value = JSON.stringify(example.args);
      kwargs.value = JSON.stringify(example.kwargs);
    }
    queue.value = example.queue;
    if (kwargsHelp) kwargsHelp.textContent = example.kwargs_help;  // this task's own example
  });

  function show(lines, isError) {
    preview.replaceChildren();
    preview.classList.toggle("error", !!isError);
    var list = document.createElement("ul");
    lines.forEach(function (line, index) {
      var element = document.createElement(index === 0 ? "p" : "li");
      element.textContent = line;  // text, never markup
      (index === 0 ? preview : list).appendChild(element);
    });
    if (list.children.length) preview.appendChild(list);
  }

  var timer = null, latest = 0;
  function explain() {
    var text = schedule.value.trim();
    if (!text) { show(["Runs once, now."]); return; }
    var ticket = ++latest;
    fetch(preview.dataset.url + "?text=" + encodeURIComponent(text), {headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (ticket !== latest) return;  // a newer keystroke has asked since
        if (body.error) { show([body.error], true); return; }
        var lines = [body.description + "." + (body.runs ? " " + body.runs : "") + " Next runs:"];
        // Seconds only where the schedule has them (every 30 seconds), as the grammar writes times.
        var width = body.next_runs.some(function (iso) { return iso.slice(17, 19) !== "00"; }) ? 19 : 16;
        body.next_runs.forEach(function (iso) {
          lines.push(iso.slice(0, width).replace("T", " ") + " " + body.time_zone);
        });
        if (!body.next_runs.length) lines[0] = body.description + ". " + (body.runs || "No runs to come.");
        show(lines);
      })
      .catch(function () { if (ticket === latest) show(["Could not check the schedule just now."], true); });
  }
  schedule.addEventListener("input", function () {
    // The server's message was about the text as submitted: from the first keystroke on, the
    // preview speaks for the text as it is, so the two never say the same thing twice.
    if (scheduleError) {
      (scheduleError.closest(".errors") || scheduleError).hidden = true;
      schedule.removeAttribute("aria-invalid");
      scheduleError = null;
    }
    clearTimeout(timer);
    timer = setTimeout(explain, 250);
  });
  // A schedule the server refused already shows its message: no preview repeats it until it changes.
  if (!scheduleError) explain();
})();
