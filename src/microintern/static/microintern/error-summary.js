/* After a form comes back with problems, move focus to the list of problems at the top, so
   keyboard and screen-reader users start there (each problem links to its field). */
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
}());
