// The designer: ties the canvas, palette, properties pane, validation,
// saving, running and the output panel to the page the server rendered.
import { api, etagRevision } from './api.js';
import { Canvas, QUIET } from './canvas.js';
import { Palette } from './palette.js';
import { Properties } from './properties.js';
import { Saver } from './saving.js';
import { Running } from './running.js';
import { Outputs } from './outputs.js';
import { Minimap } from './minimap.js';
import { layeredLayout } from './layout.js';
import { h, debounce, replace } from './dom.js';
import { statusAttrs, problemAttrs, categoryColor, STATUS, NODE_WIDTH, NODE_HEIGHT } from './shapes.js';

export class Designer {
  constructor(root) {
    this.root = root;
    this.id = root.dataset.workflow;
    this.editable = root.dataset.editable === 'true';
    this.meta = { name: root.dataset.name || '', description: '', parameters: [] };
    this.revision = 0;
    this.validation = null;
    this.problems = new Map(); // node id → problems
    this.clipboard = null;
  }

  async start() {
    const t0 = performance.now();
    performance.mark('designer:start');
    const [groups, wf] = await Promise.all([api.modules(), api.workflow(this.id)]);
    performance.mark('designer:fetched');
    this.setSpecs(groups);
    this.status = new StatusBar(this.root.querySelector('.dz-status'), this);
    this.toolbar = new Toolbar(this.root.querySelector('.dz-toolbar'), this);
    this.canvas = new Canvas(this.root.querySelector('.dz-graph'), {
      specOf: (m, v) => this.specOf(m, v),
      colorOf: (c) => categoryColor(this.categories, c),
      editable: this.editable,
      onRefused: (msg) => this.toast(msg, 'error'),
    });
    this.saver = new Saver(this);
    this.running = new Running(this);
    this.props = new Properties(this.root.querySelector('.dz-props'), this);
    this.outputs = new Outputs(this.root.querySelector('.dz-drawer'), this);
    this.palette = new Palette(this.root.querySelector('.dz-palette'), this);
    this.minimap = new Minimap(this.canvas.graph, this.root.querySelector('.dz-minimap'), (n) => this.minimapColor(n));

    await this.fetchOldVersions(wf.data.document);
    this.applyWorkflow(wf.data, etagRevision(wf.etag));
    performance.mark('designer:loaded');
    this.listen();
    this.bindKeys();
    performance.mark('designer:rendered');
    // load framed the workflow; the level of detail follows the zoom.
    this.levelOfDetail(this.canvas.graph.zoom());
    await nextFrame();
    performance.mark('designer:ready');
    performance.measure('designer:open', 'designer:start', 'designer:ready');
    this.root.dataset.ready = 'true';
    this.root.dataset.openMs = String(Math.round(performance.now() - t0));
    this.props.show();
    this.validate();
    this.running.restore();
  }

  setSpecs(groups) {
    this.groups = groups;
    this.categories = groups.map((g) => g.category);
    this.specs = new Map();
    this.latest = new Map();
    for (const g of groups) {
      for (const m of g.modules) {
        m.inputs ||= [];
        m.outputs ||= [];
        m.params ||= [];
        this.specs.set(`${m.id}@${m.version}`, m);
        const cur = this.latest.get(m.id);
        if (!cur || cur.version < m.version) this.latest.set(m.id, m);
      }
    }
  }

  /**
   * fetchOldVersions gets the specs of module versions the document uses
   * that the palette (latest versions only) lacks.
   */
  async fetchOldVersions(doc) {
    const missing = new Set();
    for (const n of doc.nodes || []) {
      if (!this.specOf(n.module, n.version) && this.latest.has(n.module)) missing.add(`${n.module}@${n.version}`);
    }
    await Promise.all(
      [...missing].map(async (ref) => {
        const [id, v] = ref.split('@');
        try {
          const spec = await api.module(id, v);
          spec.inputs ||= [];
          spec.outputs ||= [];
          spec.params ||= [];
          this.specs.set(ref, spec);
        } catch {
          // Shown as an unknown module, and validation says why.
        }
      }),
    );
  }

  specOf(module, version) {
    return this.specs.get(`${module}@${version}`) || null;
  }

  specOfNode(id) {
    const n = this.canvas.graph.getCellById(id);
    if (!n) return null;
    const d = n.getData() || {};
    return this.specOf(d.module, d.version);
  }

  nodeLabel(id) {
    const n = this.canvas.graph.getCellById(id);
    if (!n) return id;
    const d = n.getData() || {};
    const spec = this.specOf(d.module, d.version);
    return d.title || (spec ? spec.name : id);
  }

  applyWorkflow(w, revision) {
    this.revision = revision || w.revision;
    const doc = w.document;
    this.meta = { name: doc.name, description: doc.description || '', parameters: doc.parameters || [] };
    this.canvas.load(doc);
    this.toolbar.setName(doc.name);
    this.status.save(`Saved · revision ${this.revision}`, 'ok');
    this.status.counts();
  }

  /** document returns the workflow document as edited now. */
  document() {
    const { nodes, edges } = this.canvas.toDocument();
    const doc = { format: 1, name: this.meta.name };
    if (this.meta.description) doc.description = this.meta.description;
    if (this.meta.parameters && this.meta.parameters.length) doc.parameters = this.meta.parameters;
    doc.nodes = nodes;
    doc.edges = edges;
    return doc;
  }

  /** loadDocument replaces the canvas with a document, as an undoable edit or not. */
  loadDocument(doc, { undoable } = {}) {
    this.meta = { name: doc.name, description: doc.description || '', parameters: doc.parameters || [] };
    this.toolbar.setName(doc.name);
    if (undoable) {
      // A node in both documents is changed in place, not removed and added
      // again under its id: X6's history reorders such a pair within a batch
      // (an add before the remove of the same id), and undoing the restore
      // would then mix the two up. Edges have no ids of ours: they go and
      // come back.
      const g = this.canvas.graph;
      const want = new Map(doc.nodes.map((n) => [n.id, n]));
      g.startBatch('restore');
      g.removeCells(g.getEdges());
      g.removeCells(g.getNodes().filter((node) => !want.has(node.id)));
      for (const node of g.getNodes()) {
        const cell = this.canvas.nodeCell(want.get(node.id));
        const d = node.getData() || {};
        if (d.module !== cell.data.module || d.version !== cell.data.version) {
          node.removePorts();
          node.addPorts(cell.ports.items);
        }
        node.setData(cell.data, { overwrite: true });
        node.setPosition(cell.x, cell.y);
        want.delete(node.id);
      }
      g.addNodes([...want.values()].map((n) => this.canvas.nodeCell(n)));
      g.addEdges(doc.edges.map((e) => this.canvas.edgeCell(e)));
      g.stopBatch('restore');
    } else {
      this.canvas.load(doc);
    }
    this.afterReplace();
  }

  async reload() {
    const wf = await api.workflow(this.id);
    this.applyWorkflow(wf.data, etagRevision(wf.etag));
    this.afterReplace();
  }

  afterReplace() {
    this.problems.clear();
    for (const [id, st] of this.running.status) {
      if (this.canvas.graph.getCellById(id)) this.showStatus(id, st);
    }
    for (const n of this.canvas.graph.getNodes()) if (!this.running.status.has(n.id)) n.setAttrs(statusAttrs(null), QUIET);
    this.props.show();
    this.validate();
    this.running.markStale();
    this.status.counts();
  }

  setMeta(patch) {
    Object.assign(this.meta, patch);
    if (patch.name) this.toolbar.setName(patch.name);
    this.saver.changed();
    this.validateSoon();
    this.running.markStale();
  }

  /** setNodeData changes a node's data as an edit from the pane. */
  setNodeData(node, patch) {
    if (!this.editable || !node.model) return;
    node.setData({ ...node.getData(), ...patch }, { overwrite: true, fromPane: true });
  }

  listen() {
    const g = this.canvas.graph;
    const structural = ({ options }) => {
      if (options && options.quiet) return;
      this.saver.changed();
      this.validateSoon();
      this.staleSoon();
      this.countsSoon();
    };
    this.staleSoon = debounce(() => this.running.markStale(), 300);
    this.countsSoon = debounce(() => this.status.counts(), 200);
    g.on('cell:added', structural);
    g.on('cell:removed', (args) => {
      structural(args);
      if (args.cell.isNode()) this.problems.delete(args.cell.id);
    });
    g.on('edge:connected', structural);
    g.on('edge:change:target', structural);
    g.on('edge:change:source', structural);
    g.on('node:change:data', (args) => {
      structural(args);
      const { node, options } = args;
      if (options && options.quiet) return;
      const data = node.getData() || {};
      const spec = this.specOf(data.module, data.version);
      // The view derives the labels from the data (see views.setLabeler).
      const view = this.canvas.graph.findViewByCell(node);
      if (view) view.update();
      // An edit made elsewhere (undo, redo, paste) redraws the pane.
      if (!options.fromPane && node.id === this.props.nodeId) this.props.rerender();
      if (options.fromPane && node.id === this.props.nodeId) {
        const t = this.root.querySelector('[data-testid=props-title]');
        if (t) t.textContent = data.title || (spec ? spec.name : data.module);
      }
    });
    g.on('node:change:position', ({ options }) => {
      if (options && options.quiet) return;
      this.saver.changed();
    });
    g.on('selection:changed', () => {
      this.props.show();
      this.toolbar.selection(this.canvas.selectedNodes().length);
    });
    g.on('history:change', () => this.toolbar.history(g.canUndo(), g.canRedo()));
    g.on('scale', ({ sx }) => {
      this.status.counts();
      this.levelOfDetail(sx);
    });
    g.on('node:port:click', ({ node, port }) => {
      if (!port || port[0] !== 'o') return;
      const run = this.running.outputRun(node.id);
      if (run) this.outputs.open(run, node.id, port.slice(2));
      else this.toast('Run the workflow to see this output.');
    });
    g.on('node:dblclick', ({ node }) => {
      this.selectNode(node.id);
      const t = this.root.querySelector('[data-testid=node-title]');
      if (t) t.focus();
    });
    g.on('blank:click', () => this.root.querySelector('.dz-revisions')?.setAttribute('hidden', ''));
  }

  bindKeys() {
    const g = this.canvas.graph;
    // A handler returns false when it did nothing, and the key then does
    // what it does in the browser (copying selected text, for one).
    const k = (keys, fn) =>
      g.bindKey(keys, (e) => {
        if (fn() === false) return true;
        if (e && e.preventDefault) e.preventDefault();
        return false;
      });
    const textSelected = () => String(window.getSelection ? window.getSelection() : '').length > 0;
    k(['meta+z', 'ctrl+z'], () => this.command('undo'));
    k(['meta+shift+z', 'ctrl+shift+z', 'ctrl+y', 'meta+y'], () => this.command('redo'));
    k(['delete', 'backspace'], () => this.command('delete'));
    k(['meta+c', 'ctrl+c'], () => !textSelected() && this.canvas.selectedNodes().length > 0 && this.command('copy'));
    k(['meta+x', 'ctrl+x'], () => !textSelected() && this.canvas.selectedNodes().length > 0 && this.command('cut'));
    k(['meta+v', 'ctrl+v'], () => this.command('paste'));
    k(['meta+a', 'ctrl+a'], () => this.command('select-all'));
    k(['meta+s', 'ctrl+s'], () => this.saver.flush());
    k('escape', () => g.cleanSelection());
  }

  /** command runs a toolbar or keyboard command. */
  command(name) {
    const g = this.canvas.graph;
    const edit = this.editable;
    switch (name) {
      case 'undo':
        if (edit && g.canUndo()) g.undo();
        break;
      case 'redo':
        if (edit && g.canRedo()) g.redo();
        break;
      case 'delete':
        if (edit) this.canvas.removeSelected();
        break;
      case 'copy':
      case 'cut': {
        const frag = this.canvas.copy();
        if (frag) {
          this.clipboard = frag;
          try {
            localStorage.setItem('trellis.clipboard', JSON.stringify(frag));
          } catch {
            // Private mode: the clipboard stays in this tab.
          }
          this.toast(`Copied ${frag.nodes.length} node${frag.nodes.length === 1 ? '' : 's'}.`);
          if (name === 'cut' && edit) this.canvas.removeSelected();
        }
        break;
      }
      case 'paste': {
        if (!edit) break;
        let frag = this.clipboard;
        try {
          frag = JSON.parse(localStorage.getItem('trellis.clipboard') || 'null') || frag;
        } catch {
          // Keep this tab's clipboard.
        }
        frag = frag && { ...frag, nodes: frag.nodes.filter((n) => this.specOf(n.module, n.version)) };
        this.canvas.paste(frag);
        break;
      }
      case 'select-all':
        g.resetSelection(g.getNodes());
        break;
      case 'fit':
        g.zoomToFit({ padding: 40, maxScale: 1.5 });
        break;
      case 'zoom-in':
        g.zoom(0.15);
        break;
      case 'zoom-out':
        g.zoom(-0.15);
        break;
      case 'layout':
        if (edit) this.autoLayout();
        break;
      case 'run':
        this.running.start();
        break;
      case 'run-selected': {
        const sel = this.canvas.selectedNodes();
        if (sel.length !== 1) this.toast('Select one node to run it and what it depends on.');
        else this.running.start(sel[0].id);
        break;
      }
      case 'cancel':
        this.running.cancel();
        break;
      case 'history':
        this.saver.showRevisions(this.root.querySelector('[data-action=history]'));
        break;
      default:
    }
  }

  autoLayout() {
    const { nodes, edges } = this.canvas.toDocument();
    const pos = layeredLayout(
      nodes,
      edges.map((e) => ({ from: e.from.node, to: e.to.node })),
      { width: NODE_WIDTH, height: NODE_HEIGHT + 20 },
    );
    this.canvas.moveNodes(pos);
    this.canvas.graph.zoomToFit({ padding: 40, maxScale: 1 });
  }

  /** levelOfDetail draws nodes as plain blocks when zoomed out too far to read them. */
  levelOfDetail(scale) {
    this.root.querySelector('.dz-graph').classList.toggle('dz-lod', scale < 0.45);
  }

  selectNode(id, center) {
    const n = this.canvas.graph.getCellById(id);
    if (!n) return;
    this.canvas.graph.resetSelection(n);
    if (center) this.canvas.graph.centerCell(n);
  }

  /** validateSoon checks the document shortly after edits stop. */
  validateSoon() {
    if (!this.validateLater) this.validateLater = debounce(() => this.validate(), 350);
    this.validateLater();
  }

  async validate() {
    const seq = (this.validationSeq = (this.validationSeq || 0) + 1);
    if (this.validationAbort) this.validationAbort.abort();
    const ctl = new AbortController();
    this.validationAbort = ctl;
    let res;
    try {
      res = await api.validate(this.document(), ctl.signal);
    } catch (e) {
      if (e.name === 'AbortError' || seq !== this.validationSeq) return;
      this.status.problems(`Cannot check: ${e.message}`, 'error');
      return;
    }
    if (seq !== this.validationSeq) return;
    this.applyValidation(res);
  }

  applyValidation(res) {
    const t0 = performance.now();
    this.validation = res;
    const next = new Map();
    const general = [];
    for (const p of res.problems) {
      if (p.node && this.canvas.graph.getCellById(p.node)) {
        if (!next.has(p.node)) next.set(p.node, []);
        next.get(p.node).push(p);
      } else general.push(p);
    }
    // Only nodes whose problems changed are redrawn.
    const key = (ps) => (ps ? ps.map((p) => `${p.param || ''}|${p.port || ''}|${p.message}`).join('\n') : '');
    for (const id of new Set([...this.problems.keys(), ...next.keys()])) {
      if (key(this.problems.get(id)) !== key(next.get(id))) {
        const n = this.canvas.graph.getCellById(id);
        if (n) n.setAttrs(problemAttrs(next.get(id)), QUIET);
      }
    }
    this.problems = next;
    this.minimap.schedule();
    const n = res.problems.length;
    this.status.problems(
      n ? `${n} problem${n === 1 ? '' : 's'}${general.length ? `: ${general[0].message}` : ''}` : 'No problems',
      n ? 'error' : 'ok',
    );
    this.props.update();
    performance.measure('designer:validation-shown', { start: t0, end: performance.now() });
  }

  problemsOf(id) {
    return this.problems.get(id) || [];
  }

  shapesOf(id) {
    return this.validation && this.validation.nodes ? this.validation.nodes[id] : null;
  }

  /** showStatus draws a node's run state on it. */
  showStatus(id, st) {
    const n = this.canvas.graph.getCellById(id);
    if (n) n.setAttrs(statusAttrs(st, { rows: this.hasTableOutput(n) }), QUIET);
    this.minimap.schedule();
  }

  /** hasTableOutput reports whether a node's module outputs a table (whose rows its status counts). */
  hasTableOutput(node) {
    const d = node.getData() || {};
    const spec = this.specOf(d.module, d.version);
    return !spec || (spec.outputs || []).some((o) => o.kind === 'table');
  }

  minimapColor(node) {
    if (this.problems.has(node.id)) return '#dc2626';
    const st = this.running.statusOf(node.id);
    if (!st) return '#9ca3af';
    return (STATUS[st.stale ? 'stale' : st.status] || STATUS.queued).stroke;
  }

  onSaved() {
    this.toolbar.setName(this.meta.name);
  }

  /** toast shows a short message for a few seconds. */
  toast(msg, kind = 'info') {
    const box = this.root.querySelector('.dz-toasts');
    const t = h('div.dz-toast', { role: kind === 'error' ? 'alert' : 'status', dataset: { kind }, testid: 'toast' }, msg);
    box.append(t);
    setTimeout(() => t.remove(), kind === 'error' ? 7000 : 4000);
  }
}

function nextFrame() {
  return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
}

class Toolbar {
  constructor(root, d) {
    this.root = root;
    this.d = d;
    root.addEventListener('click', (e) => {
      const b = e.target.closest('[data-action]');
      if (b && !b.disabled) d.command(b.dataset.action);
    });
    this.name = root.querySelector('.dz-name');
    this.history(false, false);
    this.selection(0);
    this.running(false);
    if (!d.editable) for (const b of root.querySelectorAll('[data-edit]')) b.disabled = true;
  }

  btn(action) {
    return this.root.querySelector(`[data-action="${action}"]`);
  }

  setName(name) {
    if (this.name) this.name.textContent = name;
    document.title = `${name} · Trellis`;
  }

  history(canUndo, canRedo) {
    const u = this.btn('undo');
    const r = this.btn('redo');
    if (u) u.disabled = !canUndo || !this.d.editable;
    if (r) r.disabled = !canRedo || !this.d.editable;
  }

  selection(n) {
    const b = this.btn('run-selected');
    if (b) b.disabled = n !== 1 || !this.d.editable;
  }

  running(on) {
    const c = this.btn('cancel');
    const r = this.btn('run');
    if (c) c.disabled = !on;
    if (r) r.disabled = on || !this.d.editable;
  }
}

class StatusBar {
  constructor(root, d) {
    this.root = root;
    this.d = d;
    const part = (name) => root.querySelector(`[data-part=${name}]`) || root.appendChild(h('span', { dataset: { part: name } }));
    this.saveEl = part('save');
    this.problemEl = part('problems');
    this.runEl = part('run');
    this.countEl = part('counts');
  }

  set(el, text, kind) {
    el.textContent = text;
    el.dataset.kind = kind || '';
  }

  save(text, kind) {
    this.set(this.saveEl, text, kind);
  }

  problems(text, kind) {
    this.set(this.problemEl, text, kind);
  }

  run(text, kind) {
    this.set(this.runEl, text, kind);
  }

  counts() {
    const g = this.d.canvas ? this.d.canvas.graph : null;
    if (!g) return;
    const n = g.getNodes().length;
    const e = g.getEdges().length;
    replace(this.countEl, `${n} node${n === 1 ? '' : 's'} · ${e} connection${e === 1 ? '' : 's'} · ${Math.round(g.zoom() * 100)}%`);
  }
}
