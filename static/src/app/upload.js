// Dataset uploads: drop files on the drop zone or pick them, and each is
// streamed to POST /api/v1/datasets with a progress bar. The form also works
// without JavaScript (it posts multipart to /datasets); with it, files go up
// as soon as they are chosen, several at a time if need be.

const formats = { csv: "csv", tsv: "tsv", tab: "tsv", json: "json", jsonl: "json", ndjson: "json" };

// initUploads wires every upload form under root (once each).
export function initUploads(root) {
  if (!(root instanceof Element || root instanceof Document)) return;
  const forms = root.matches?.("form[data-upload]") ? [root] : root.querySelectorAll("form[data-upload]");
  for (const form of forms) {
    if (form.dataset.uploadReady) continue;
    form.dataset.uploadReady = "true";
    wire(form);
  }
}

function wire(form) {
  const input = form.querySelector('input[type="file"]');
  const zone = form.querySelector("[data-dropzone]");
  const list = form.querySelector("[data-upload-list]");
  form.classList.add("upload-live");

  const start = (files) => {
    const queue = Array.from(files || []);
    if (queue.length === 0) return;
    const nameField = form.querySelector('input[name="name"]');
    // A typed name applies to a single file; several files keep their own names.
    const name = queue.length === 1 && nameField ? nameField.value.trim() : "";
    if (nameField) nameField.value = "";
    // One after another: parallel uploads would share the bandwidth and
    // all finish late.
    queue.reduce((prev, file) => prev.then(() => upload(form, list, file, name || file.name)), Promise.resolve());
    if (input) input.value = "";
  };

  input?.addEventListener("change", () => start(input.files));
  form.addEventListener("submit", (evt) => {
    evt.preventDefault();
    start(input?.files);
  });
  if (!zone) return;
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (evt) => {
      evt.preventDefault();
      evt.dataTransfer.dropEffect = "copy";
      zone.classList.add("dropzone-over");
    });
  }
  for (const type of ["dragleave", "dragend"]) {
    zone.addEventListener(type, (evt) => {
      if (evt.target === zone) zone.classList.remove("dropzone-over");
    });
  }
  zone.addEventListener("drop", (evt) => {
    evt.preventDefault();
    zone.classList.remove("dropzone-over");
    start(evt.dataTransfer.files);
  });
  // The whole zone opens the file picker, from the keyboard too.
  zone.addEventListener("keydown", (evt) => {
    if ((evt.key === "Enter" || evt.key === " ") && evt.target === zone) {
      evt.preventDefault();
      input?.click();
    }
  });
}

// upload sends one file and reports its progress in a new list item. It
// resolves when the upload ends, whatever the outcome.
function upload(form, list, file, name) {
  const item = document.createElement("li");
  item.className = "upload-item";
  item.dataset.testid = "upload-item";
  const label = document.createElement("span");
  label.className = "upload-name";
  label.textContent = name;
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.dataset.testid = "upload-progress";
  const status = document.createElement("span");
  status.className = "upload-status";
  status.dataset.testid = "upload-status";
  status.textContent = "Starting…";
  item.append(label, bar, status);
  list?.prepend(item);

  const params = new URLSearchParams(form.dataset.after === "open" ? {} : { name });
  const ext = file.name.includes(".") ? file.name.split(".").pop().toLowerCase() : "";
  if (formats[ext]) params.set("format", formats[ext]);
  const endpoint = form.dataset.endpoint || "/api/v1/datasets";

  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${endpoint}?${params}`);
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) xhr.setRequestHeader("X-CSRF-Token", meta.content);

    xhr.upload.addEventListener("progress", (evt) => {
      if (!evt.lengthComputable) return;
      const pct = Math.floor((evt.loaded / evt.total) * 100);
      bar.value = pct;
      status.textContent = pct < 100 ? `${pct}% of ${formatBytes(evt.total)}` : "Checking the data…";
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status === 201 && body) {
        bar.value = 100;
        item.classList.add("upload-done");
        const latest = body.latest || {};
        status.textContent = `Uploaded: ${(latest.rows ?? 0).toLocaleString()} rows × ${latest.columns ?? 0} columns. `;
        const link = document.createElement("a");
        link.href = `/datasets/${encodeURIComponent(body.id)}`;
        link.textContent = "Open";
        status.append(link);
        document.body.dispatchEvent(new CustomEvent("datasets-changed", { bubbles: true }));
        // A new version changes the page being shown: show the new one.
        if (form.dataset.after === "open") window.location.assign(link.href);
      } else {
        fail(item, status, body?.error?.message || `The upload failed (${xhr.status} ${xhr.statusText}).`);
      }
      resolve();
    });
    xhr.addEventListener("error", () => {
      fail(item, status, "The upload was cut off: the server could not be reached.");
      resolve();
    });
    xhr.addEventListener("abort", () => {
      fail(item, status, "The upload was canceled.");
      resolve();
    });
    xhr.send(file);
  });
}

function fail(item, status, message) {
  item.classList.add("upload-failed");
  status.textContent = message.charAt(0).toUpperCase() + message.slice(1);
  status.setAttribute("role", "alert");
}

function formatBytes(n) {
  const units = ["bytes", "KB", "MB", "GB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
