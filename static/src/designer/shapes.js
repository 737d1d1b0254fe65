// How a node looks on the canvas: one registered shape with fixed geometry
// (no attribute depends on measuring the DOM, which keeps a thousand nodes
// cheap to render), typed ports coloured by kind, a status line with a
// progress bar, and a problem badge.
import { Graph } from '@antv/x6';

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 64;

/** Port kinds and their colours (Okabe–Ito, distinguishable with colour-blindness). */
export const KINDS = {
  table: { color: '#0072b2', label: 'Table' },
  untrained_model: { color: '#e69f00', label: 'Untrained model' },
  trained_model: { color: '#009e73', label: 'Trained model' },
  transform: { color: '#cc79a7', label: 'Transform' },
  report: { color: '#d55e00', label: 'Report' },
};

export function kindColor(kind) {
  return (KINDS[kind] || { color: '#888' }).color;
}

const CATEGORY_COLORS = [
  '#4e79a7', '#59a14f', '#9c755f', '#f28e2b', '#76b7b2', '#edc948', '#b07aa1', '#e15759', '#ff9da7', '#bab0ac',
];

export function categoryColor(categories, category) {
  const i = categories.indexOf(category);
  return CATEGORY_COLORS[(i < 0 ? categories.length : i) % CATEGORY_COLORS.length];
}

/** Status colours and words, as the status line shows them. */
export const STATUS = {
  queued: { word: 'Queued', color: '#6b7280', stroke: '#9ca3af' },
  running: { word: 'Running', color: '#1d4ed8', stroke: '#2563eb' },
  succeeded: { word: 'Done', color: '#047857', stroke: '#10b981' },
  cached: { word: 'Cached', color: '#047857', stroke: '#34d399' },
  failed: { word: 'Failed', color: '#b91c1c', stroke: '#dc2626' },
  skipped: { word: 'Skipped', color: '#6b7280', stroke: '#d1d5db' },
  canceled: { word: 'Canceled', color: '#92400e', stroke: '#d97706' },
  stale: { word: 'Outdated', color: '#92400e', stroke: '#c8ced6' },
};

export function truncate(s, n) {
  s = String(s || '');
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

let registered = false;

/** registerShapes defines the node shape once. */
export function registerShapes() {
  if (registered) return;
  registered = true;
  // Static attributes sit in the markup, set once as the element is made;
  // cell attrs carry only what differs between nodes (texts, colours,
  // status), which keeps a thousand nodes quick to create.
  const T = (selector, attrs, text) => ({ tagName: 'text', selector, attrs, textContent: text || '' });
  Graph.registerNode(
    'trellis-node',
    {
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      markup: [
        {
          tagName: 'rect',
          selector: 'body',
          attrs: { width: NODE_WIDTH, height: NODE_HEIGHT, rx: 6, ry: 6, fill: '#ffffff', stroke: '#c8ced6', 'stroke-width': 1.5, class: 'tn-body' },
        },
        { tagName: 'rect', selector: 'stripe', attrs: { x: 0, y: 0, width: 6, height: NODE_HEIGHT, rx: 3, fill: '#4e79a7' } },
        T('title', { x: 16, y: 21, 'font-size': 13, 'font-weight': 600, fill: '#111827', class: 'tn-title' }),
        T('module', { x: 16, y: 37, 'font-size': 11, fill: '#6b7280', class: 'tn-module' }),
        T('status', { x: 16, y: 53, 'font-size': 11, fill: '#9ca3af', class: 'tn-status' }, 'Not run yet'),
        {
          tagName: 'rect',
          selector: 'track',
          attrs: { x: 8, y: NODE_HEIGHT - 5, width: NODE_WIDTH - 16, height: 3, rx: 1.5, fill: '#e5e7eb', visibility: 'hidden' },
        },
        {
          tagName: 'rect',
          selector: 'progress',
          attrs: { x: 8, y: NODE_HEIGHT - 5, width: 0, height: 3, rx: 1.5, fill: '#2563eb', visibility: 'hidden', class: 'tn-progress' },
        },
        {
          tagName: 'g',
          selector: 'problem',
          attrs: { transform: `translate(${NODE_WIDTH - 4}, 4)`, visibility: 'hidden', class: 'tn-problem' },
          children: [
            { tagName: 'circle', selector: 'problemDot', attrs: { r: 9, fill: '#dc2626', stroke: '#fff', 'stroke-width': 1.5 } },
            T('problemText', { x: 0, y: 4, 'font-size': 12, 'font-weight': 700, fill: '#fff', 'text-anchor': 'middle' }, '!'),
          ],
        },
        T('comment', { x: 0, y: NODE_HEIGHT + 16, 'font-size': 11, fill: '#6b7280', 'font-style': 'italic', class: 'tn-comment' }),
      ],
      attrs: {},
      // Ports carry no group definitions: TrellisNodeView draws them from
      // portCircle, at the places portItems gives.
      ports: { items: [] },
    },
    true,
  );
  Graph.registerEdge(
    'trellis-edge',
    {
      markup: [
        {
          tagName: 'path',
          selector: 'wrap',
          attrs: { fill: 'none', cursor: 'pointer', stroke: 'transparent', 'stroke-width': 12, 'stroke-linecap': 'round', class: 'tn-wrap' },
        },
        {
          tagName: 'path',
          selector: 'line',
          attrs: { fill: 'none', 'pointer-events': 'none', 'stroke-width': 2, 'stroke-linejoin': 'round', stroke: '#9ca3af', class: 'tn-line' },
        },
      ],
      attrs: {},
    },
    true,
  );
}

/** portId names a port on the canvas; inputs and outputs may share names. */
export function portId(dir, name) {
  return `${dir === 'in' ? 'i' : 'o'}:${name}`;
}

/** portName splits a canvas port id into direction and name. */
export function portName(id) {
  if (!id) return null;
  return { dir: id[0] === 'i' ? 'in' : 'out', name: id.slice(2) };
}

/** portCircle returns the attributes of a port's circle, by its group ("in-table"). */
export function portCircle(group) {
  const [dir, kind] = [group.slice(0, group.indexOf('-')), group.slice(group.indexOf('-') + 1)];
  const color = kindColor(kind);
  return dir === 'in'
    ? { r: 6, magnet: 'passive', 'stroke-width': 2, stroke: color, fill: '#fff', class: 'x6-port-body tn-port tn-in' }
    : { r: 6, magnet: 'true', 'stroke-width': 2, stroke: color, fill: color, class: 'x6-port-body tn-port tn-out' };
}

/** portItems lists a spec's ports as X6 port items. */
export function portItems(spec) {
  const items = [];
  const row = (ports, dir, y) =>
    ports.forEach((p, i) =>
      items.push({ id: portId(dir, p.name), group: `${dir}-${p.kind}`, args: { x: Math.round((NODE_WIDTH * (i + 1)) / (ports.length + 1)), y } }),
    );
  row(spec ? spec.inputs || [] : [], 'in', 0);
  row(spec ? spec.outputs || [] : [], 'out', NODE_HEIGHT);
  return items;
}

/** portTitle describes a port for its tooltip. */
export function portTitle(spec, id) {
  const pn = portName(id);
  if (!spec || !pn) return '';
  const p = (pn.dir === 'in' ? spec.inputs : spec.outputs).find((x) => x.name === pn.name);
  if (!p) return '';
  const kind = KINDS[p.kind] ? KINDS[p.kind].label : p.kind;
  return pn.dir === 'in'
    ? `${p.label} — ${kind} input${p.optional ? ' (optional)' : ''}`
    : `${p.label} — ${kind} output (click to see it after a run)`;
}

/** labelAttrs are the attrs that show a node's title, module and comment. */
export function labelAttrs(data, spec, stripeColor) {
  const name = spec ? spec.name : `${data.module} (unknown module)`;
  return {
    title: { text: truncate(data.title || name, 28) },
    module: { text: truncate(data.title ? name : `${data.module}@${data.version}`, 34) },
    stripe: { fill: stripeColor },
    comment: { text: truncate(data.comment ? data.comment.split('\n')[0] : '', 40) },
  };
}

/**
 * statusAttrs are the attrs that show a node's run state: st is undefined
 * (never ran) or {status, progress, rows, duration_ms, error, stale}; rows is
 * false for a module without a table output.
 */
export function statusAttrs(st, { rows = true } = {}) {
  if (!st) {
    return {
      body: { stroke: '#c8ced6', 'data-status': 'none' },
      status: { text: 'Not run yet', fill: '#9ca3af' },
      track: { visibility: 'hidden' },
      progress: { visibility: 'hidden', width: 0 },
    };
  }
  const key = st.stale ? 'stale' : st.status;
  const s = STATUS[key] || STATUS.queued;
  let text = s.word;
  if (st.stale) text = `Outdated — was ${(STATUS[st.status] || s).word.toLowerCase()}`;
  else if (st.status === 'running') text = `Running ${Math.round((st.progress || 0) * 100)}%`;
  else if (st.status === 'succeeded' || st.status === 'cached') {
    // Rows count a node's table output; a model or report has none.
    text = rows ? `${s.word} · ${st.rows.toLocaleString('en-US')} rows · ${fmtMs(st.duration_ms)}` : `${s.word} · ${fmtMs(st.duration_ms)}`;
  } else if (st.status === 'failed') text = `Failed: ${st.error || ''}`;
  const running = st.status === 'running' && !st.stale;
  return {
    body: { stroke: s.stroke, 'data-status': key },
    status: { text: truncate(text, 36), fill: s.color, title: st.error || text },
    track: { visibility: running ? 'visible' : 'hidden' },
    progress: { visibility: running ? 'visible' : 'hidden', width: (NODE_WIDTH - 16) * Math.min(1, st.progress || 0) },
  };
}

function fmtMs(ms) {
  if (ms == null) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** problemAttrs show a node's problems as a badge with a tooltip. */
export function problemAttrs(problems) {
  if (!problems || problems.length === 0) {
    return { problem: { visibility: 'hidden', title: '' }, problemText: { text: '!' } };
  }
  const tip = problems.map((p) => (p.param ? `${p.param}: ` : p.port ? `${p.port}: ` : '') + p.message).join('\n');
  return {
    problem: { visibility: 'visible', title: tip, 'data-problems': String(problems.length) },
    problemText: { text: problems.length > 9 ? '9+' : String(problems.length) },
  };
}
