// Buttons that copy a long value (a task id shown by its first characters) with the Clipboard API;
// they stay hidden where the API is missing (plain HTTP on another host), the full value still in the title.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) return;
  function show(root) {
    root.querySelectorAll("button.copy[hidden]").forEach(function (button) { button.hidden = false; });
  }
  show(document);
  document.addEventListener("helloworld:updated", function (event) { show(event.target); });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy");
    if (!button) return;
    navigator.clipboard.writeText(button.dataset.copy).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 1500);
    });
  });
})();
