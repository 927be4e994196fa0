// Uploads the entry form with XMLHttpRequest to show progress; without JS the form posts as usual.
(function () {
  const form = document.getElementById("entry-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  const box = form.querySelector(".upload-progress");
  const bar = document.getElementById("upload-bar");
  const text = document.getElementById("upload-text");
  const errorBox = document.getElementById("upload-error");
  const button = form.querySelector("button[type=submit]");
  const maxBytes = Number(form.dataset.maxBytes);

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    box.hidden = true;
    button.disabled = false;
  }

  function mb(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  form.addEventListener("submit", function (event) {
    const file = form.querySelector("input[type=file]").files[0];
    if (file && file.size > maxBytes) {
      event.preventDefault();
      showError("This file is larger than the " + form.dataset.maxMb + " MB this contest allows.");
      return;
    }
    event.preventDefault();
    errorBox.hidden = true;
    box.hidden = false;
    button.disabled = true;
    const started = Date.now();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      const pct = Math.round((e.loaded / e.total) * 100);
      bar.value = pct;
      bar.textContent = pct + "%";
      const secs = (Date.now() - started) / 1000;
      const rate = e.loaded / Math.max(secs, 0.1);
      const left = rate > 0 ? Math.round((e.total - e.loaded) / rate) : 0;
      text.textContent = pct + "% · " + mb(e.loaded) + " of " + mb(e.total) +
        (pct < 100 ? " · about " + left + " s left" : " · checking your file…");
    });
    xhr.addEventListener("load", function () {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status === 202 && body.redirect) { window.location.assign(body.redirect); return; }
      if (body.errors) {
        showError(Object.values(body.errors).flat().join(" "));
      } else if (body.error) {
        showError(body.error.message);
      } else if (xhr.status === 413) {
        showError("This file is too large for this contest.");
      } else {
        showError("The upload did not go through (" + xhr.status + "). Please try again.");
      }
    });
    xhr.addEventListener("error", function () {
      showError("The connection dropped during the upload. Please try again.");
    });
    xhr.send(new FormData(form));
  });
})();
