// Polls a processing film's progress and updates the bar; reloads when it is done.
(function () {
  const box = document.getElementById("film-status");
  if (!box || box.dataset.status !== "processing") return;
  const bar = document.getElementById("process-bar");
  const stage = document.getElementById("stage");
  function poll() {
    fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        bar.value = data.progress;
        bar.textContent = data.progress + "%";
        stage.textContent = data.stage;
        if (data.status !== "processing") { window.location.reload(); return; }
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
