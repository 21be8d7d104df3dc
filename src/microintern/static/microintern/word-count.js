/* Live word count for textareas with a word limit. Without JavaScript the page shows the
   count worked out by the server after each submit, so nothing depends on this file. */
(function () {
  "use strict";
  function words(text) {
    var trimmed = text.trim();
    return trimmed ? trimmed.split(/\s+/).length : 0;
  }
  function message(count, limit) {
    if (count > limit) {
      var over = count - limit;
      return "You have " + count + " words. That is " + over + " word" + (over === 1 ? "" : "s") +
        " too many: please shorten it to " + limit + " or fewer.";
    }
    return "You have used " + count + " of " + limit + " words.";
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
      var text = message(count, limit);
      counter.textContent = text;
      counter.classList.toggle("word-count-over", count > limit);
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { spoken.textContent = text; }, 1000);
    }
    field.addEventListener("input", update);
    counter.textContent = message(words(field.value), limit);
    counter.classList.toggle("word-count-over", words(field.value) > limit);
  }
  var counters = document.querySelectorAll("[data-count-for]");
  for (var i = 0; i < counters.length; i++) { setUp(counters[i]); }
}());
