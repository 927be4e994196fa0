// Organizer console: live Markdown previews. The server renders the text with the
// site's own sanitizer (POST /admin/preview), so the preview is exactly the result.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview-url]");
  if (!form) return;
  var url = form.getAttribute("data-preview-url");
  var token = form.querySelector("input[name=csrf_token]");

  function render(area, target) {
    var body = new FormData();
    body.append("text", area.value);
    var headers = { "Accept": "application/json" };
    if (token) headers["X-CSRFToken"] = token.value;
    return fetch(url, { method: "POST", body: body, headers: headers, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("preview " + response.status);
        return response.json();
      })
      .then(function (data) {
        target.innerHTML = data.html;  // sanitized by the server (contest.text.markdown)
        target.removeAttribute("data-stale");
      })
      .catch(function () { target.setAttribute("data-stale", "true"); });
  }

  form.querySelectorAll("textarea[data-preview]").forEach(function (area) {
    var target = document.getElementById(area.getAttribute("data-preview"));
    if (!target) return;
    var timer = null;
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { render(area, target); }, 250);
    });
  });
})();
