// Judging page keys: j next film, k previous, n nominate, s save the scores.
// They never fire while typing in a field, with a modifier, or when the video player has
// focus (player.js uses j, k and others there).
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || tag === "video" ||
      target.isContentEditable;
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link) window.location.assign(link.href);
  }

  function submit(selector) {
    var form = document.querySelector(selector);
    if (!form) return;
    var button = form.querySelector("button[type=submit], input[type=submit]");
    if (button && button.matches(":disabled")) return; // also inside a disabled fieldset
    if (form.requestSubmit) form.requestSubmit(button || undefined); else form.submit();
  }

  var KEYS = {
    j: function () { follow("a#next-film"); },
    k: function () { follow("a#previous-film"); },
    n: function () { submit("#nominate-form"); },
    s: function () { submit("#score-form"); }
  };

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var action = KEYS[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
})();
