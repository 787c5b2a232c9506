// The dashboard refreshes itself while open: every few seconds it fetches its own body, drawn by
// the same server template as the first page, and swaps it in. Paused while the tab is hidden.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root) return;
  var every = (parseInt(root.dataset.refreshSeconds, 10) || 5) * 1000;

  function refresh() {
    if (document.hidden) { setTimeout(refresh, every); return; }
    fetch(root.dataset.url, {headers: {"Accept": "text/html"}, credentials: "same-origin"})
      .then(function (response) {
        if (response.redirected) { window.location.reload(); throw new Error("logged out"); }  // to the login page
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) { root.innerHTML = html; setTimeout(refresh, every); })
      .catch(function () { setTimeout(refresh, every * 3); });  // a restarting server: ask again, more slowly
  }
  setTimeout(refresh, every);
})();
