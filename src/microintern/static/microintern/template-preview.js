/* Live preview in the email template editor: after a pause in typing, ask the server for
   the preview (the same "Preview" request the button makes) and show it. Without
   JavaScript the Preview button does the same, so nothing depends on this file. */
(function () {
  "use strict";
  var form = document.querySelector("form.editor-form");
  var preview = document.querySelector("section.preview");
  if (!form || !preview || !window.fetch || !window.DOMParser) { return; }
  var timer = null;
  function refresh() {
    var data = new FormData(form);
    data.set("action", "preview");
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST", body: data, credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.text();
    }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var fresh = page.querySelector("section.preview");
      if (fresh) { preview.innerHTML = fresh.innerHTML; }
    }).catch(function () { /* the Preview button still works */ });
  }
  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 600);
  });
})();
