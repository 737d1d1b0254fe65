// The shared browser code of every Trellis page: htmx for partial updates,
// the CSRF header on its requests, dataset uploads with progress, and small
// conveniences (copy buttons, dismissable messages). Pages work without it;
// it makes them quicker. Nothing here is inline in a page: the Content
// Security Policy allows scripts from our origin only.
import htmx from "htmx.org";

import { initUploads } from "./upload.js";

// The CSP forbids inline styles and eval, so htmx must not inject its
// indicator <style> (app.css has the rules) nor evaluate hx-on/js: code.
Object.assign(htmx.config, {
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
  // The server answers HX-Request with a fragment; a history restore must
  // get the whole page.
  historyRestoreAsHxRequest: false,
  // Validation failures (422) come back as the re-rendered form, and other
  // errors as a message the server retargets to the flash area.
  responseHandling: [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true, error: false },
    { code: "[45]..", swap: true, error: true },
  ],
});

window.htmx = htmx;

// csrfToken is the token the server rendered into the page, "" when the
// browser's Fetch Metadata headers protect its requests instead.
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

document.addEventListener("htmx:configRequest", (evt) => {
  const token = csrfToken();
  if (token && evt.detail.verb !== "get") {
    evt.detail.headers["X-CSRF-Token"] = token;
  }
});

// A request that never got an answer (network down, server stopped) gets a
// message instead of silence.
document.addEventListener("htmx:sendError", () => {
  showFlash("error", "The server could not be reached. Check that Trellis is running and try again.");
});

// showFlash puts a message in the page's flash area.
export function showFlash(kind, message) {
  const area = document.getElementById("flash");
  if (!area) return;
  const div = document.createElement("div");
  div.className = `flash flash-${kind}`;
  div.setAttribute("role", kind === "error" ? "alert" : "status");
  div.dataset.testid = "flash";
  const text = document.createElement("span");
  text.textContent = message;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "flash-close";
  close.dataset.dismiss = "";
  close.setAttribute("aria-label", "Dismiss");
  close.textContent = "×";
  div.append(text, close);
  area.replaceChildren(div);
}

document.addEventListener("click", (evt) => {
  const target = evt.target instanceof Element ? evt.target : null;
  if (!target) return;
  const dismiss = target.closest("[data-dismiss]");
  if (dismiss) {
    const box = dismiss.closest(".flash, [data-dismissable]");
    if (box) box.remove();
    return;
  }
  const copy = target.closest("[data-copy]");
  if (copy) {
    const source = document.getElementById(copy.dataset.copy);
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent.trim()).then(() => {
        const label = copy.textContent;
        copy.textContent = "Copied";
        setTimeout(() => { copy.textContent = label; }, 1500);
      });
    }
  }
});

// Forms and buttons marked data-confirm ask first, with or without htmx.
document.addEventListener("submit", (evt) => {
  const form = evt.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !form.hasAttribute("hx-post")) {
    if (!window.confirm(form.dataset.confirm)) evt.preventDefault();
  }
}, true);

// Times are rendered in UTC; show them in the reader's own zone and language.
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
function localizeTimes(root) {
  if (!(root instanceof Element || root instanceof Document)) return;
  for (const el of root.querySelectorAll("time[data-local]")) {
    const when = new Date(el.dateTime);
    if (Number.isNaN(when.getTime())) continue;
    el.title = el.textContent;
    el.textContent = timeFormat.format(when);
    el.removeAttribute("data-local");
  }
}

function enhance(root) {
  initUploads(root);
  localizeTimes(root);
}

enhance(document);
document.addEventListener("htmx:load", (evt) => enhance(evt.detail.elt));
