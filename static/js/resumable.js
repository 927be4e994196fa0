// Resumable upload of the entry form with Uppy (static/vendor/uppy, built by `npm run build:uppy`).
// Parts go where the server says: presigned S3 URLs, or the app's own part endpoint. A dropped
// connection retries the part; a closed tab resumes when the same file is picked again (the
// server finds the open upload by the file's fingerprint and its parts are not sent twice).
// Without Uppy, upload.js posts the form with progress; without JavaScript the form posts as usual.
(function () {
  const form = document.getElementById("entry-form");
  const lib = window.ContestUppy;
  if (!form || !lib || !form.dataset.uploadsUrl || !window.fetch) return;

  const MIB = 1048576;
  const input = form.querySelector("input[type=file]");
  const box = form.querySelector(".upload-progress");
  const bar = document.getElementById("upload-bar");
  const text = document.getElementById("upload-text");
  const errorBox = document.getElementById("upload-error");
  const button = form.querySelector("button[type=submit]");
  const base = form.dataset.uploadsUrl;
  const csrfInput = form.querySelector("input[name=csrf_token]");
  const csrf = csrfInput ? csrfInput.value : "";
  const received = {}; // upload id -> {part number: ETag} the server already has
  let cancelling = false;
  let redirect = null;

  form.dataset.resumable = "on";

  // Mirrors part_size_for() in contest/operations/uploads.py (Uppy never goes under 5 MiB).
  function chunkSize(size) {
    const floor = Math.max(Number(form.dataset.partSize) || 8 * MIB, 5 * MIB);
    const needed = Math.ceil(size / 10000);
    return needed <= floor ? floor : Math.ceil(needed / MIB) * MIB;
  }

  async function call(method, path, body) {
    const response = await fetch(base + path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error((data.error && data.error.message) || "The server said no (" + response.status + ").");
      error.status = response.status;
      throw error;
    }
    return data;
  }

  const uppy = new lib.Uppy({
    id: "entry-" + form.dataset.contest,
    autoProceed: false,
    restrictions: { maxNumberOfFiles: 1, maxFileSize: Number(form.dataset.maxBytes) || null },
  });

  uppy.use(lib.AwsS3, {
    shouldUseMultipart: true,
    limit: 4,
    getChunkSize: (file) => chunkSize(file.size),
    async createMultipartUpload(file) {
      const upload = await call("POST", "", {
        contest: form.dataset.contest, file_name: file.name, size: file.size,
        type: file.type, fingerprint: file.id,
      });
      if (upload.part_size !== chunkSize(file.size)) {
        throw new Error("This page is out of date; reload it and pick the file again.");
      }
      received[upload.id] = upload.etags || {};
      return { uploadId: upload.id, key: upload.id };
    },
    async listParts(file, { uploadId }) {
      const data = await call("GET", "/" + uploadId + "/parts");
      return data.parts.map((p) => ({ PartNumber: p.part_number, Size: p.size, ETag: p.etag }));
    },
    async signPart(file, { uploadId, partNumber }) {
      const etag = (received[uploadId] || {})[partNumber];
      if (etag) return { url: "already-received:", etag };
      const target = await call("GET", "/" + uploadId + "/parts/" + partNumber + "/target");
      return { method: target.method, url: target.url, headers: target.headers,
               expires: target.expires_in || undefined };
    },
    // Parts the server already has (the same file picked again) are not sent twice.
    uploadPartBytes(options) {
      if (options.signature.etag) {
        options.onProgress({ loaded: options.size, lengthComputable: true });
        options.onComplete(options.signature.etag);
        return Promise.resolve({ ETag: options.signature.etag });
      }
      return lib.AwsS3.uploadPartBytes(options);
    },
    async completeMultipartUpload(file, { uploadId }) {
      const data = await call("POST", "/" + uploadId + "/complete", {
        title: form.elements.title.value || file.meta.title,
        description: form.elements.description.value || file.meta.description,
        agree: form.elements.agree ? form.elements.agree.checked : false,
      });
      redirect = data.redirect;
      return { location: data.redirect };
    },
    // Uppy also calls this after a failed part; only a cancel by the filmmaker drops the parts.
    async abortMultipartUpload(file, { uploadId }) {
      if (cancelling && uploadId) await call("DELETE", "/" + uploadId).catch(() => {});
    },
  });

  function mb(bytes) { return (bytes / MIB).toFixed(1) + " MB"; }
  function duration(seconds) {
    if (!isFinite(seconds)) return "…";
    if (seconds < 60) return Math.max(1, Math.round(seconds)) + " s";
    if (seconds < 3600) return Math.round(seconds / 60) + " min";
    return (seconds / 3600).toFixed(1) + " h";
  }

  // Speed over the last few seconds, so a resumed upload's jump does not count as speed.
  let samples = [];
  function showProgress(sent, total) {
    const now = Date.now();
    samples.push([now, sent]);
    samples = samples.filter((s) => now - s[0] <= 8000);
    const [t0, b0] = samples[0];
    const rate = now > t0 ? ((sent - b0) * 1000) / (now - t0) : 0;
    const pct = total ? Math.floor((sent / total) * 100) : 0;
    box.hidden = false;
    bar.value = pct;
    bar.textContent = pct + "%";
    text.textContent = pct + "% · " + mb(sent) + " of " + mb(total) +
      (rate > 0 ? " · " + mb(rate) + "/s · " + duration((total - sent) / rate) + " left" : "");
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    button.disabled = false;
  }

  uppy.on("upload-progress", (file, progress) => {
    if (progress.bytesTotal) showProgress(progress.bytesUploaded, progress.bytesTotal);
  });
  uppy.on("upload-success", () => {
    text.textContent = "100% · uploaded · checking your file…";
    window.location.assign(redirect || window.location.href);
  });
  uppy.on("upload-error", (file, error) => {
    button.textContent = "Resume the upload";
    showError((error && error.status ? error.message : "The connection dropped.") +
      " Press “Resume the upload” to continue where it stopped.");
  });
  uppy.on("restriction-failed", (file, error) => showError(error.message));

  // The file to upload: a remembered one (a closed tab, a failed try) is picked up again.
  function pickFile(file) {
    const same = (f) => f.name === file.name && f.size === file.size;
    cancelling = true; // another file than the one remembered: drop its parts on the server too
    uppy.getFiles().filter((f) => !same(f)).forEach((f) => uppy.removeFile(f.id));
    cancelling = false;
    const known = uppy.getFiles().find(same);
    if (known && !known.isGhost) return known.id;
    try {
      return uppy.addFile({ name: file.name, type: file.type, data: file, source: "Local" });
    } catch (error) {
      uppy.getFiles().forEach((f) => uppy.removeFile(f.id));
      return uppy.addFile({ name: file.name, type: file.type, data: file, source: "Local" });
    }
  }

  form.addEventListener("submit", (event) => {
    const file = input.files[0];
    // A file of one part gains nothing from parts: upload.js posts it, and the server checks
    // it at once, so a refused file is explained on this page.
    if (file && file.size <= chunkSize(file.size) && !uppy.getFiles().length) return;
    event.preventDefault();
    event.stopImmediatePropagation(); // upload.js is the fallback, not a second uploader
    errorBox.hidden = true;
    if (!form.elements.title.value.trim()) return showError("Give the film a title.");
    if (form.elements.agree && !form.elements.agree.checked) {
      return showError("You need to accept the rules to enter.");
    }
    if (!file) return showError("Choose the video file to upload.");
    let fileId;
    try {
      fileId = pickFile(file);
    } catch (error) {
      return showError(error.message);
    }
    uppy.setFileMeta(fileId, { title: form.elements.title.value,
                               description: form.elements.description.value });
    box.hidden = false;
    button.disabled = true;
    samples = [];
    const current = uppy.getFile(fileId);
    const started = current && current.error ? uppy.retryUpload(fileId) : uppy.upload();
    Promise.resolve(started).then((result) => {
      if (result && result.failed && result.failed.length) {
        showError(result.failed[0].error || "The upload did not go through.");
      }
    }).catch((error) => {
      console.error(error);
      showError(error.message || String(error));
    });
  }, true);
})();
