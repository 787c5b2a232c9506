// One loop behind every page that follows the site while it is open (the dashboard, the tasks
// list): every data-refresh-seconds (5 by default) fetch the element's data-url and hand the HTML
// to `update`; paused while the tab is hidden, the login page when the session has ended, and
// slower while the server restarts.
window.helloworldLiveRefresh = function (element, update) {
  "use strict";
  var every = (parseInt(element.dataset.refreshSeconds, 10) || 5) * 1000;

  function refresh() {
    if (document.hidden) { setTimeout(refresh, every); return; }
    fetch(element.dataset.url, {headers: {"Accept": "text/html"}, credentials: "same-origin"})
      .then(function (response) {
        if (response.redirected) { window.location.reload(); throw new Error("logged out"); }  // to the login page
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) { update(html); setTimeout(refresh, every); })
      .catch(function () { setTimeout(refresh, every * 3); });  // a restarting server: ask again, more slowly
  }
  setTimeout(refresh, every);
};
