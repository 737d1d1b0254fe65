// Small DOM helpers. Everything the designer shows is built with h(), which
// sets text with textContent, so no user-supplied string is ever parsed as
// HTML; and nothing sets a style attribute, which the CSP forbids.

/**
 * h creates an element: h('button.primary', {type: 'button', onclick}, 'Run').
 * Props starting with "on" become listeners, "dataset" and "aria" take
 * objects, false/null props are skipped; children may be strings, nodes,
 * arrays or null.
 */
export function h(tag, props, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v == null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2), v);
      } else if (k === 'dataset') {
        Object.assign(el.dataset, v);
      } else if (k === 'class') {
        el.className = [el.className, v].filter(Boolean).join(' ');
      } else if (k === 'testid') {
        el.dataset.testid = v;
      } else if (k in el && typeof el[k] !== 'function' && !k.includes('-')) {
        el[k] = v;
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** svg creates an SVG element with attributes. */
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v != null) el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c == null) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** replace empties el and appends the children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** debounce delays fn until calls stop for ms; .flush() runs a pending call now. */
export function debounce(fn, ms) {
  let timer = null;
  let pending = null;
  const run = () => {
    timer = null;
    const args = pending;
    pending = null;
    return fn(...args);
  };
  const d = (...args) => {
    pending = args;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  d.flush = () => (timer ? (clearTimeout(timer), run()) : undefined);
  d.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    pending = null;
  };
  d.pending = () => timer != null;
  return d;
}

/** formatNumber shows a count with thousands separators. */
export function formatNumber(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : String(n);
}

/** formatDuration shows milliseconds as "12 ms", "3.4 s" or "2 min 5 s". */
export function formatDuration(ms) {
  if (ms == null) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60000);
  return `${m} min ${Math.round((ms % 60000) / 1000)} s`;
}

/** formatStat shows a statistic compactly. */
export function formatStat(v) {
  if (v == null) return '';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return formatNumber(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(3);
  return Number(v.toPrecision(6)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

/** relativeTime says how long ago a date was. */
export function relativeTime(date, now = Date.now()) {
  const s = Math.round((now - new Date(date).getTime()) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(date).toLocaleString();
}
