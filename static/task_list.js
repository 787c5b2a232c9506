// The tasks list. Times read "3 min ago", the exact time in the browser's zone on hover (the server's
// text, right without this script, stays in the title until then). The "select all on this page" box
// ticks every row's checkbox. And the first page follows the site while it is open, as the dashboard
// does: every few seconds it fetches its own rows (`?fragment=1`, the same template and filters) and
// - changes, in the rows it shows, only the cells whose text changed (a state, a retry link), never a
//   cell holding the text selection, never a checkbox, so nothing under the reader moves;
// - holds new tasks behind a "N new tasks — show" button instead of pushing the rows down;
// - dims a row that no longer matches the filters (a QUEUED filter, a task that finished).
// What changed is said in one line to a polite live region. Paused while the tab is hidden.
(function () {
  "use strict";
  var body = document.getElementById("task-rows");
  if (!body) return;
  var news = document.getElementById("task-list-news");
  var showButton = document.getElementById("show-new-tasks");
  var choosePage = document.getElementById("choose-page");
  var pending = [];  // fresh rows not shown yet, newest first
  var many = false;  // more new tasks than one page holds: showing them means reloading

  function ago(seconds) {
    if (seconds < 45) return "just now";
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes + " min ago";
    var hours = Math.round(minutes / 60);
    if (hours < 36) return hours + " h ago";
    var days = Math.round(hours / 24);
    return days + " day" + (days === 1 ? "" : "s") + " ago";
  }
  // dateStyle and timeStyle cannot be combined with timeZoneName: each part is named instead.
  var exact = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
    timeZoneName: "short"
  });

  function relativeTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (node) {
      var when = new Date(node.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      node.textContent = ago((Date.now() - when.getTime()) / 1000);
      node.title = exact.format(when);
    });
  }

  function rows(root) { return Array.prototype.slice.call(root.querySelectorAll("tr[data-task]")); }
  function boxes() { return Array.prototype.slice.call(body.querySelectorAll("input[name=ids]")); }

  function syncChoosePage() {
    if (!choosePage) return;
    var all = boxes(), ticked = all.filter(function (box) { return box.checked; }).length;
    choosePage.checked = all.length > 0 && ticked === all.length;
    choosePage.indeterminate = ticked > 0 && ticked < all.length;
  }

  if (choosePage) {
    choosePage.closest("label").hidden = false;
    choosePage.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = choosePage.checked; });
    });
    body.addEventListener("change", function (event) { if (event.target.name === "ids") syncChoosePage(); });
  }
  relativeTimes(body);
  setInterval(function () { relativeTimes(body); }, 30000);
  if (!body.dataset.url) return;  // an older page: it stays as it is

  function selected(node) {
    var selection = window.getSelection();
    return selection && !selection.isCollapsed && selection.containsNode(node, true);
  }

  // The cells of `old` whose text differs from `fresh`'s take the fresh content; the rest stay as they are.
  function patchRow(old, fresh) {
    var said = null;
    fresh.querySelectorAll("td[data-field]").forEach(function (cell) {
      var field = cell.dataset.field;
      var here = old.querySelector("td[data-field=" + field + "]");
      if (!here || field === "sent" || here.textContent.trim() === cell.textContent.trim() || selected(here)) return;
      here.replaceChildren.apply(here, Array.prototype.slice.call(cell.childNodes));
      if (field === "state") said = old.querySelector("[data-field=task] a").textContent + " " + here.textContent.trim();
    });
    old.dataset.state = fresh.dataset.state;
    return said;
  }

  function showPending() {
    if (many) { window.location.reload(); return; }
    var empty = body.querySelector("tr.no-tasks");
    if (empty) empty.remove();
    pending.slice().reverse().forEach(function (row) { body.insertBefore(row, body.firstChild); });
    relativeTimes(body);
    body.dispatchEvent(new CustomEvent("helloworld:updated", {bubbles: true}));
    var first = pending[0];
    pending = [];
    showButton.hidden = true;
    syncChoosePage();
    if (first) first.querySelector("input[name=ids]").focus();
  }
  showButton.addEventListener("click", showPending);

  function update(html) {
    var template = document.createElement("template");
    template.innerHTML = "<table><tbody>" + html + "</tbody></table>";
    var fresh = rows(template.content), shown = {}, said = [];
    rows(body).forEach(function (row) { shown[row.dataset.task] = row; });
    var oldest = fresh.length ? fresh[fresh.length - 1].querySelector("time").getAttribute("datetime") : null;
    var seen = {};
    fresh.forEach(function (row) {
      seen[row.dataset.task] = true;
      var old = shown[row.dataset.task];
      if (old) {
        var change = patchRow(old, row);
        if (change) said.push(change);
        old.classList.remove("no-longer-matching");
      }
    });
    rows(body).forEach(function (row) {  // newer than the fresh page's end, yet not in it: filtered out now
      var when = row.querySelector("time").getAttribute("datetime");
      var gone = !seen[row.dataset.task] && oldest !== null && new Date(when) >= new Date(oldest);
      row.classList.toggle("no-longer-matching", gone);
    });
    var before = pending.length;
    pending = fresh.filter(function (row) { return !shown[row.dataset.task]; });
    many = fresh.length > 0 && pending.length === fresh.length && rows(body).length > 0;
    if (pending.length && !rows(body).length) { showPending(); said.push("new tasks shown"); }
    if (pending.length) {
      var count = pending.length + (many ? "+" : "");
      showButton.textContent = count + " new task" + (pending.length === 1 ? "" : "s") + " — show";
      showButton.hidden = false;
      if (pending.length !== before) said.push(count + " new task" + (pending.length === 1 ? "" : "s"));
    }
    if (said.length && news) news.textContent = said.slice(0, 4).join("; ") + ".";
    body.dispatchEvent(new CustomEvent("helloworld:updated", {bubbles: true}));  // copy buttons in new cells
  }

  window.helloworldLiveRefresh(body, update);
})();
