// A layered (Sugiyama-style) layout of the DAG, top to bottom as data flows:
// layers by longest path from the sources, order within layers by the
// barycentre heuristic (a few sweeps down and up), then x positions pulled
// towards the parents' and packed without overlap.

/**
 * layeredLayout returns {id: {x, y}} for nodes [{id}] joined by edges
 * [{from, to}] (node ids). Nodes in cycles, which a valid workflow has not,
 * are put on the layer after their last placed parent.
 */
export function layeredLayout(nodes, edges, { width = 220, height = 64, gapX = 40, gapY = 80, sweeps = 6 } = {}) {
  const ids = nodes.map((n) => n.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const parents = ids.map(() => []);
  const children = ids.map(() => []);
  for (const e of edges) {
    const a = index.get(e.from);
    const b = index.get(e.to);
    if (a == null || b == null || a === b) continue;
    parents[b].push(a);
    children[a].push(b);
  }

  // Layers: longest path from a source, in Kahn's topological order.
  const indeg = parents.map((p) => p.length);
  const layer = new Array(ids.length).fill(0);
  const queue = [];
  indeg.forEach((d, i) => d === 0 && queue.push(i));
  const seen = new Array(ids.length).fill(false);
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q];
    seen[i] = true;
    for (const c of children[i]) {
      layer[c] = Math.max(layer[c], layer[i] + 1);
      if (--indeg[c] === 0) queue.push(c);
    }
  }
  ids.forEach((_, i) => {
    if (!seen[i]) layer[i] = Math.max(0, ...parents[i].filter((p) => seen[p]).map((p) => layer[p] + 1));
  });

  const layers = [];
  ids.forEach((_, i) => {
    (layers[layer[i]] ||= []).push(i);
  });
  for (let l = 0; l < layers.length; l++) layers[l] ||= [];

  // Order within layers: barycentres of neighbours in the adjacent layer.
  const pos = new Array(ids.length).fill(0);
  const setPos = (l) => layers[l].forEach((i, k) => (pos[i] = k));
  layers.forEach((_, l) => setPos(l));
  const bary = (i, nbrs) => (nbrs.length ? nbrs.reduce((s, j) => s + pos[j], 0) / nbrs.length : pos[i]);
  for (let s = 0; s < sweeps; s++) {
    const down = s % 2 === 0;
    const order = down ? layers.map((_, l) => l).slice(1) : layers.map((_, l) => l).reverse().slice(1);
    for (const l of order) {
      const key = new Map(layers[l].map((i) => [i, bary(i, down ? parents[i] : children[i])]));
      layers[l].sort((a, b) => key.get(a) - key.get(b) || pos[a] - pos[b]);
      setPos(l);
    }
  }

  // x: start packed and centred, then pull each node towards its parents'
  // mean x, keeping the order and the gap (one pass, left to right, then
  // right to left to balance).
  const step = width + gapX;
  const x = new Array(ids.length).fill(0);
  layers.forEach((ls) => ls.forEach((i, k) => (x[i] = (k - (ls.length - 1) / 2) * step)));
  for (let l = 1; l < layers.length; l++) {
    const ls = layers[l];
    const want = ls.map((i) => (parents[i].length ? parents[i].reduce((s, p) => s + x[p], 0) / parents[i].length : x[i]));
    for (let k = 0; k < ls.length; k++) x[ls[k]] = k === 0 ? want[k] : Math.max(want[k], x[ls[k - 1]] + step);
    for (let k = ls.length - 2; k >= 0; k--) x[ls[k]] = Math.min(x[ls[k]], x[ls[k + 1]] - step);
    // Keep the layer centred where its wants are.
    const shift = want.reduce((s, w, k) => s + w - x[ls[k]], 0) / (ls.length || 1);
    for (const i of ls) x[i] += shift;
  }

  const out = {};
  const minX = Math.min(0, ...x);
  layers.forEach((ls, l) => {
    for (const i of ls) out[ids[i]] = { x: Math.round((x[i] - minX) / 10) * 10, y: l * (height + gapY) };
  });
  return out;
}
