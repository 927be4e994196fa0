// Film player: HLS where it can play (native on Safari, hls.js elsewhere), the MP4
// sources otherwise, and keyboard keys on the focused player.
(function () {
  "use strict";
  var HLS_TYPE = "application/vnd.apple.mpegurl";

  function startHls(video) {
    var url = video.dataset.hls;
    if (!url) return;
    var hlsJs = window.Hls && window.Hls.isSupported();
    var apple = /Apple/.test(navigator.vendor || "");
    if (video.canPlayType(HLS_TYPE) && (apple || !hlsJs)) {
      // Safari and iOS: adaptive streaming built in.
      video.src = url;
      return;
    }
    if (!hlsJs) return; // the MP4 <source>s stay
    var hls = new window.Hls({ capLevelToPlayerSize: true, startLevel: -1 });
    var fatal = 0;
    hls.on(window.Hls.Events.ERROR, function (_event, data) {
      if (!data.fatal) return;
      fatal += 1;
      if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR && fatal < 3) {
        hls.startLoad();
      } else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR && fatal < 3) {
        hls.recoverMediaError();
      } else {
        fallBackToMp4(video, hls);
      }
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  }

  function fallBackToMp4(video, hls) {
    var at = video.currentTime;
    hls.destroy();
    video.removeAttribute("src");
    video.load(); // picks the first playable <source>
    if (at) video.addEventListener("loadedmetadata", function () { video.currentTime = at; }, { once: true });
  }

  function seek(video, seconds) {
    var end = isFinite(video.duration) ? video.duration : Infinity;
    video.currentTime = Math.max(0, Math.min(end, video.currentTime + seconds));
  }

  function toggleFullscreen(video) {
    if (document.fullscreenElement) { document.exitFullscreen(); return; }
    if (video.requestFullscreen) video.requestFullscreen();
    else if (video.webkitEnterFullscreen) video.webkitEnterFullscreen();
  }

  function toggle(video) {
    if (!video.paused) { video.pause(); return; }
    var playing = video.play();
    if (playing && playing.catch) playing.catch(function () {}); // e.g. no source yet
  }

  var KEYS = {
    " ": toggle,
    k: toggle,
    ArrowLeft: function (v) { seek(v, -5); },
    ArrowRight: function (v) { seek(v, 5); },
    j: function (v) { seek(v, -10); },
    l: function (v) { seek(v, 10); },
    m: function (v) { v.muted = !v.muted; },
    f: toggleFullscreen
  };

  function actionFor(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return null;
    return KEYS[event.key.length === 1 ? event.key.toLowerCase() : event.key] || null;
  }

  function addKeys(video) {
    if (!video.hasAttribute("tabindex")) video.tabIndex = 0;
  }

  // Caught on the way down, before the browser's own controls see the key (Chromium
  // toggles play on Space by itself, even when the event's default is prevented).
  function onKey(event) {
    var video = event.target;
    if (!video.matches || !video.matches("video.player")) return;
    var action = actionFor(event);
    if (!action) return;
    event.preventDefault();
    event.stopPropagation();
    if (event.type === "keydown") action(video);
  }

  ["keydown", "keypress", "keyup"].forEach(function (type) {
    document.addEventListener(type, onKey, true);
  });

  document.querySelectorAll("video.player").forEach(function (video) {
    startHls(video);
    addKeys(video);
  });
})();
