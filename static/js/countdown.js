// Counts down to the next deadline on the contest page.
(function () {
  const el = document.querySelector(".countdown[data-deadline]");
  if (!el) return;
  const target = Date.parse(el.dataset.deadline);
  const out = el.querySelector(".remaining");
  function tick() {
    let s = Math.max(0, Math.floor((target - Date.now()) / 1000));
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60);
    out.textContent = "(in " + (d ? d + "d " : "") + h + "h " + m + "m)";
  }
  tick();
  setInterval(tick, 30000);
})();
