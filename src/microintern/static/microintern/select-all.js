/* "Select all on this page" also ticks every message's box, so what will be acted on is
   what is shown ticked. Without JavaScript the server reads "all on this page" itself. */
(function () {
  "use strict";
  var all = document.getElementById("bulk_all_on_page");
  if (!all) { return; }
  var boxes = document.querySelectorAll('input[type="checkbox"][name="selected"]');
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
  });
  boxes.forEach(function (box) {
    box.addEventListener("change", function () { if (!box.checked) { all.checked = false; } });
  });
}());
