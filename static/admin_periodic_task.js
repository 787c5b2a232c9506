// The admin's periodic task form: django-celery-beat's inline script, as a static file for the site's
// Content-Security-Policy. It shows what the chosen crontab means under the crontab field.
(function () {
  "use strict";
  var $ = django.jQuery;
  var readableCrontabs = JSON.parse($("#readable-crontabs").text());
  var originalCrontabHelp = JSON.parse($("#crontab-help").text());

  function updateCrontabHelp(additional) {
    $(".field-crontab .help").text(originalCrontabHelp).append("<br>", document.createTextNode("Translation: " + additional));
  }

  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    updateCrontabHelp(readableCrontabs[$("#id_crontab").val()]);
  });
})();
