// After a submit the server refused, move focus to what needs fixing: the form's error summary
// when it has one (errors that belong to no single field), else the first invalid field. Without
// this, focus stays on the page's body and a keyboard or screen reader user starts from the top.
(function () {
  "use strict";
  var target = document.querySelector("form [data-error-summary], form [aria-invalid=true]");
  if (!target) return;
  target.focus();
  if (target.scrollIntoView) target.scrollIntoView({block: "center"});
})();
