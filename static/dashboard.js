// The dashboard refreshes itself while open: every few seconds it fetches its own body, drawn by
// the same server template as the first page, and patches the page in place: only the text and
// attributes that changed are touched, rows are matched by their queue or worker name, so the
// keyboard focus (and a screen reader's place) stays where it was. What changed is told in one
// line to a small polite live region, not by re-reading the page. Paused while the tab is hidden.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  var news = document.getElementById("dashboard-changes");
  if (!root) return;

  function key(node) {
    if (node.nodeType !== 1) return "";
    var name = node.getAttribute("data-queue") || node.getAttribute("data-worker") || node.getAttribute("data-field");
    return name ? node.nodeName + ":" + name : "";
  }

  function same(a, b) { return a.nodeType === b.nodeType && a.nodeName === b.nodeName && key(a) === key(b); }

  function patchAttributes(old, fresh) {
    Array.prototype.slice.call(old.attributes).forEach(function (attribute) {
      if (!fresh.hasAttribute(attribute.name)) old.removeAttribute(attribute.name);
    });
    Array.prototype.slice.call(fresh.attributes).forEach(function (attribute) {
      if (old.getAttribute(attribute.name) !== attribute.value) old.setAttribute(attribute.name, attribute.value);
    });
  }

  // Make `old`'s subtree read as `fresh`'s, keeping every node that can stay.
  function patch(old, fresh) {
    if (old.nodeType !== 1) {
      if (old.nodeValue !== fresh.nodeValue) old.nodeValue = fresh.nodeValue;
      return;
    }
    patchAttributes(old, fresh);
    patchChildren(old, fresh);
  }

  function patchChildren(old, fresh) {
    var keyed = {};
    Array.prototype.forEach.call(old.childNodes, function (child) { if (key(child)) keyed[key(child)] = child; });
    var wanted = Array.prototype.slice.call(fresh.childNodes);
    wanted.forEach(function (child, index) {
      var here = old.childNodes[index] || null;
      var match = key(child) ? keyed[key(child)] : (here && same(here, child) ? here : null);
      if (match && same(match, child)) {
        delete keyed[key(child)];
        if (match !== here) old.insertBefore(match, here);
        patch(match, child);
      } else {
        old.insertBefore(child, here);  // new: taken from the fetched copy
      }
    });
    while (old.childNodes.length > wanted.length) old.removeChild(old.lastChild);
  }

  function facts(element) {
    var found = {};
    element.querySelectorAll("tr[data-queue]").forEach(function (row) {
      var depth = row.querySelector("[data-field=depth]");
      found["Queue " + row.dataset.queue] = depth ? depth.textContent.trim() + " waiting" : "not reachable";
    });
    element.querySelectorAll("tr[data-worker]").forEach(function (row) {
      var state = row.querySelector("[data-field=state] .state");
      found["Worker " + row.dataset.worker] = state ? state.textContent.trim() : "";
    });
    var beat = element.querySelector("[data-field=beat-state]");
    if (beat) found.Beat = beat.textContent.trim();
    found.Broker = element.querySelector("[data-field=broker-error]") ? "not reachable" : "reachable";
    return found;
  }

  function changes(before, after) {
    var said = [];
    Object.keys(after).forEach(function (name) {
      if (!(name in before)) said.push(name + " appeared: " + after[name]);
      else if (before[name] !== after[name]) said.push(name + ": " + after[name]);
    });
    Object.keys(before).forEach(function (name) { if (!(name in after)) said.push(name + " gone"); });
    return said.join("; ");
  }

  function update(html) {
    var fresh = document.createElement("template");
    fresh.innerHTML = html;
    var before = facts(root);
    var after = facts(fresh.content);
    patchChildren(root, fresh.content);
    var said = changes(before, after);
    if (said && news) news.textContent = said + ".";
    root.dispatchEvent(new CustomEvent("helloworld:updated", {bubbles: true}));
  }

  window.helloworldLiveRefresh(root, update);
})();
