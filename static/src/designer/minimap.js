// The minimap: every node as a dot on a small canvas, with the visible area
// framed. Drawing a canvas costs the same for ten nodes or a thousand, where
// a second SVG copy of the graph would double the cost of large workflows.
// Click or drag in it to move the view.

import { NODE_WIDTH, NODE_HEIGHT } from './shapes.js';

export class Minimap {
  constructor(graph, canvas, colorOf) {
    this.graph = graph;
    this.canvas = canvas;
    this.colorOf = colorOf;
    this.scheduled = false;
    this.last = 0;
    this.bounds = null;
    const schedule = () => this.schedule();
    for (const ev of ['cell:added', 'cell:removed', 'node:change:position', 'model:reseted', 'scale', 'translate', 'resize']) {
      graph.on(ev, schedule);
    }
    let dragging = false;
    const move = (e) => {
      if (!this.bounds) return;
      const r = canvas.getBoundingClientRect();
      const { x0, y0, k } = this.bounds;
      graph.centerPoint(x0 + (e.clientX - r.left) / k, y0 + (e.clientY - r.top) / k);
    };
    canvas.addEventListener('mousedown', (e) => {
      dragging = true;
      move(e);
      e.preventDefault();
    });
    window.addEventListener('mousemove', (e) => dragging && move(e));
    window.addEventListener('mouseup', () => (dragging = false));
    this.schedule();
  }

  /** schedule redraws on the next frame, at most ten times a second. */
  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = Math.max(0, 100 - (performance.now() - this.last));
    setTimeout(() => requestAnimationFrame(() => this.draw()), wait);
  }

  draw() {
    this.scheduled = false;
    this.last = performance.now();
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth || 200;
    const hgt = c.clientHeight || 140;
    if (c.width !== w * dpr || c.height !== hgt * dpr) {
      c.width = w * dpr;
      c.height = hgt * dpr;
    }
    const ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    const nodes = this.graph.getNodes();
    const area = this.graph.getGraphArea();
    let x0 = area.x;
    let y0 = area.y;
    let x1 = area.x + area.width;
    let y1 = area.y + area.height;
    const pos = new Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const p = nodes[i].getPosition();
      pos[i] = p;
      if (p.x < x0) x0 = p.x;
      if (p.y < y0) y0 = p.y;
      if (p.x + NODE_WIDTH > x1) x1 = p.x + NODE_WIDTH;
      if (p.y + NODE_HEIGHT > y1) y1 = p.y + NODE_HEIGHT;
    }
    const pad = 40;
    x0 -= pad;
    y0 -= pad;
    x1 += pad;
    y1 += pad;
    const k = Math.min(w / (x1 - x0), hgt / (y1 - y0));
    this.bounds = { x0, y0, k };
    for (let i = 0; i < nodes.length; i++) {
      ctx.fillStyle = this.colorOf(nodes[i]);
      ctx.fillRect((pos[i].x - x0) * k, (pos[i].y - y0) * k, Math.max(2, NODE_WIDTH * k), Math.max(1.5, NODE_HEIGHT * k));
    }
    ctx.strokeStyle = '#2563eb';
    ctx.lineWidth = 1.5;
    ctx.strokeRect((area.x - x0) * k, (area.y - y0) * k, area.width * k, area.height * k);
  }
}
