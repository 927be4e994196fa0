// The bell's count stays fresh while the page is open (every minute, and on return).
(function () {
  "use strict";
  var bell = document.querySelector(".bell[data-count-url]");
  if (!bell) return;
  var badge = bell.querySelector(".bell-count");

  function show(count) {
    badge.textContent = String(count);
    badge.hidden = count === 0;
    bell.setAttribute("aria-label", count ? "Notifications, " + count + " unread" : "Notifications");
  }

  function refresh() {
    if (document.visibilityState !== "visible") return;
    fetch(bell.dataset.countUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && typeof data.unread === "number") show(data.unread); })
      .catch(function () { /* offline: keep the last count */ });
  }

  setInterval(refresh, 60000);
  document.addEventListener("visibilitychange", refresh);

  // Deleting a comment asks first; the form works without this too.
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form.delete-comment") &&
        !window.confirm("Delete your comment?")) {
      event.preventDefault();
    }
  });
})();
