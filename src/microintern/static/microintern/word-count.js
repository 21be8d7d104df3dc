/* Live word count for textareas with a word limit. Without JavaScript the page shows the
   count worked out by the server after each submit, so nothing depends on this file. */
(function () {
  "use strict";
  function words(text) {
    var trimmed = text.trim();
    return trimmed ? trimmed.split(/\s+/).length : 0;
  }
  // The wording comes from the counter's data-message-* attributes, in the page's language,
  // with {count}, {over} and {limit} in it; English when an attribute is missing.
  var ENGLISH = {
    used: "You have used {count} of {limit} words.",
    overOne: "You have {count} words. That is {over} word too many: please shorten it to {limit} or fewer.",
    overMany: "You have {count} words. That is {over} words too many: please shorten it to {limit} or fewer."
  };
  function wording(counter, name) {
    return counter.getAttribute("data-message-" + name.replace(/[A-Z]/g, function (c) {
      return "-" + c.toLowerCase();
    })) || ENGLISH[name];
  }
  function message(counter, count, limit) {
    var over = count - limit;
    var text = wording(counter, count <= limit ? "used" : over === 1 ? "overOne" : "overMany");
    return text.replace("{count}", count).replace("{over}", over).replace("{limit}", limit);
  }
  function setUp(counter) {
    var field = document.getElementById(counter.getAttribute("data-count-for"));
    if (!field) { return; }
    var limit = parseInt(field.getAttribute("data-word-limit"), 10);
    var spoken = document.createElement("p");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    counter.parentNode.insertBefore(spoken, counter.nextSibling);
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(counter.id) < 0) { described.push(counter.id); }
    field.setAttribute("aria-describedby", described.join(" "));
    var timer = null;
    function update() {
      var count = words(field.value);
      var text = message(counter, count, limit);
      counter.textContent = text;
      counter.classList.toggle("word-count-over", count > limit);
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { spoken.textContent = text; }, 1000);
    }
    field.addEventListener("input", update);
    counter.textContent = message(counter, words(field.value), limit);
    counter.classList.toggle("word-count-over", words(field.value) > limit);
  }
  var counters = document.querySelectorAll("[data-count-for]");
  for (var i = 0; i < counters.length; i++) { setUp(counters[i]); }
}());
