// Share panel: copy to the clipboard (with a fallback), the phone's share sheet, and a
// clean address bar once a share link's ?ref= has been counted.
(function () {
  "use strict";

  function say(panel, message) {
    var status = panel.querySelector(".share-status");
    if (status) status.textContent = message;
  }

  function copyField(field) {
    var value = field.value;
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(value).then(function () { return true; },
        function () { return legacyCopy(field); });
    }
    return Promise.resolve(legacyCopy(field));
  }

  function legacyCopy(field) {
    field.focus();
    field.select();
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  document.querySelectorAll(".share").forEach(function (panel) {
    panel.querySelectorAll(".share-copy-button").forEach(function (button) {
      button.addEventListener("click", function () {
        var field = document.getElementById(button.dataset.copy);
        copyField(field).then(function (ok) {
          if (ok) {
            say(panel, "Copied.");
          } else {
            field.focus();
            field.select();
            say(panel, "Selected: press Ctrl+C (⌘C on a Mac) to copy.");
          }
        });
      });
    });

    var native = panel.querySelector(".share-native");
    if (native && navigator.share) {
      native.hidden = false;
      native.addEventListener("click", function () {
        navigator.share({ title: native.dataset.title, text: native.dataset.text, url: native.dataset.url })
          .catch(function () {}); // the person closed the sheet
      });
    }
  });

  // The visit was counted; a reload or a copied address bar must not count it again.
  var url = new URL(window.location.href);
  if (url.searchParams.has("ref") && window.history.replaceState) {
    url.searchParams.delete("ref");
    window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
  }
})();
