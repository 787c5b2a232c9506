// A task's status page follows the task: it asks the JSON API once a second until the task
// has finished, and updates the page in place (text only, never markup).
(function () {
  "use strict";
  var root = document.getElementById("task-status");
  if (!root || root.dataset.finished === "true") return;
  var zone = root.dataset.timeZone;

  function field(name) { return document.querySelector('[data-field="' + name + '"]'); }
  function when(iso) { return iso ? iso.slice(0, 19).replace("T", " ") + " " + zone : "—"; }
  function set(name, text) { var element = field(name); if (element) element.textContent = text; }

  function render(task) {
    var state = field("state");
    state.textContent = task.state;
    state.className = "state state-" + task.state.toLowerCase();
    document.title = task.task + " " + task.state + " · helloworld";
    set("enqueued_at", when(task.enqueued_at));
    set("started_at", when(task.started_at));
    set("finished_at", when(task.finished_at));
    set("runtime", task.runtime_seconds === null ? "—" : task.runtime_seconds.toFixed(3) + " s");
    set("worker", task.worker || "—");
    // Only a task that reports progress has a bar: it ends full; any other shows none.
    var reports = root.dataset.reportsProgress === "true" || Boolean(task.progress);
    var percent = !reports ? null : task.state === "SUCCESS" ? 100 : (task.progress ? task.progress.percent : null);
    if (percent !== null) {
      field("progress-box").hidden = false;
      field("progress").value = percent;
      field("progress").setAttribute("aria-valuenow", percent);
      field("progress").setAttribute("aria-valuetext", percent + "%");
      set("progress-text", percent + "%" + (task.progress && task.state !== "SUCCESS" ? " " + task.progress.message : ""));
    }
    if (task.state === "SUCCESS") set("result", JSON.stringify(task.result, null, 2));
    if (task.error) {
      field("error-box").hidden = false;
      set("error", task.error);
      set("traceback", task.traceback || "");
    }
    if (task.attempts) renderAttempts(task);
    if (task.timeline) renderTimeline(task.timeline);
    var requested = Boolean(task.revoke_requested_at) && !task.finished;
    field("revoke-requested").hidden = !requested;
    field("retry-link").hidden = !task.finished;
    field("revoke-link").hidden = task.finished || requested;
    field("terminate-link").hidden = !requested;  // a requested revocation lets this run finish: offer to stop it
  }

  // A task that retries by itself (fetch_url) or was cut off and runs again (worker.restarts): which
  // attempt, and what the earlier ones ran into.
  function renderAttempts(task) {
    var attempts = task.attempts;
    field("attempt-label").hidden = false;
    field("attempt").hidden = false;
    set("attempt", attempts.attempt + (attempts.max_attempts ? " of " + attempts.max_attempts : "") +
        (task.state === "RETRY" ? " failed; the next one is waiting" :
         (!task.finished && attempts.attempt > 1 ? ", running again" : "")) +
        (attempts.not_retried ? ": refused, so not tried again" : ""));
    var list = field("attempt-errors");
    list.replaceChildren();
    attempts.errors.forEach(function (error) {
      var item = document.createElement("li");
      item.className = "mono";
      item.textContent = error;
      list.appendChild(item);
    });
    field("attempt-errors-box").hidden = attempts.errors.length === 0;
  }

  // The task's history (selectors.timeline), as the page's template draws it.
  var LABELS = {sent: "Sent", started: "Started", retried: "Retried", redelivered: "Redelivered",
    retry_waiting: "Failed, will retry", progress: "Progress", revoke_requested: "Revoke requested", finished: "Finished"};
  function gapText(ms) {
    if (ms === null) return "";
    if (ms < 1000) return "+" + ms + " ms";
    var seconds = ms / 1000;
    if (seconds < 60) return "+" + seconds.toFixed(1) + " s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return "+" + minutes + " min " + Math.floor(seconds % 60) + " s";
    return "+" + Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }
  function span(className, text) {
    var element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    return element;
  }
  function timeOf(iso) {
    var parts = /T(\d\d:\d\d:\d\d)(\.\d+)?/.exec(iso);
    var time = document.createElement("time");
    time.setAttribute("datetime", iso);
    time.title = iso.slice(0, 10) + " " + parts[1] + (parts[2] || "") + " " + zone;
    time.textContent = parts[1] + (parts[2] || ".000").slice(0, 4);
    return time;
  }
  function renderTimeline(events) {
    var list = field("timeline");
    list.replaceChildren();
    events.forEach(function (event) {
      var item = document.createElement("li");
      item.className = "timeline-" + event.event;
      var when = span("timeline-when", "");
      when.appendChild(event.at ? timeOf(event.at) : span("muted", "time not kept"));
      if (event.gap_ms !== null) { when.appendChild(document.createTextNode(" ")); when.appendChild(span("timeline-gap", gapText(event.gap_ms))); }
      var what = span("timeline-what", "");
      var label = document.createElement("strong");
      label.textContent = LABELS[event.event] || event.event;
      what.appendChild(label);
      if (event.attempt > 1) what.appendChild(document.createTextNode(" (attempt " + event.attempt + ")"));
      if (event.worker) { what.appendChild(document.createTextNode(" on ")); what.appendChild(span("mono", event.worker)); }
      if (event.state) { what.appendChild(document.createTextNode(" ")); what.appendChild(span("state state-" + event.state.toLowerCase(), event.state)); }
      if (event.detail) { what.appendChild(document.createTextNode(" ")); what.appendChild(span("timeline-detail", event.detail)); }
      item.appendChild(when);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(what);
      list.appendChild(item);
    });
  }

  function poll() {
    fetch(root.dataset.url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (task) {
        render(task);
        if (!task.finished) setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });  // a restarting server: keep asking, more slowly
  }
  setTimeout(poll, 500);
})();
