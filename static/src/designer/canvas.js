// The canvas: an X6 graph of module nodes, the rules for connecting ports,
// editing (select, move, delete, copy/paste, undo/redo, keyboard), and the
// conversion between the workflow document and the graph's cells.
import { Graph, History, Keyboard, Selection, Snapline } from '@antv/x6';
import {
  registerShapes,
  portItems,
  portId,
  portName,
  labelAttrs,
  portTitle,
  kindColor,
  KINDS,
  NODE_WIDTH,
  NODE_HEIGHT,
} from './shapes.js';
import { TrellisNodeView, TrellisEdgeView, setLabeler } from './views.js';

/** Options passed with changes that are not edits: no undo entry, no save. */
export const QUIET = { ignoreHistory: true, quiet: true };

export class Canvas {
  /**
   * @param {HTMLElement} container
   * @param {object} o — specOf(module, version), colorOf(category),
   *   editable, onRefused(message)
   */
  constructor(container, o) {
    registerShapes();
    this.o = o;
    setLabeler((cell) => {
      const d = cell.getData() || {};
      const spec = o.specOf(d.module, d.version);
      return labelAttrs(d, spec, o.colorOf(spec ? spec.category : ''));
    });
    this.refusal = '';
    const canvas = this;
    this.graph = new Graph({
      container,
      autoResize: true,
      async: true,
      // Only nodes in (or near) view are in the DOM: zoomed in on a large
      // workflow the browser paints a few dozen nodes, not all of them.
      virtual: { enabled: true, margin: 160 },
      createCellView: (cell) => (cell.isNode() ? TrellisNodeView : TrellisEdgeView),
      grid: { size: 10, visible: true, type: 'dot', args: { color: '#d0d5dd' } },
      background: { color: '#f7f8fa' },
      panning: { enabled: true, eventTypes: ['rightMouseDown', 'mouseWheel', 'mouseWheelDown'] },
      mousewheel: { enabled: true, modifiers: ['ctrl', 'meta'], minScale: 0.05, maxScale: 3, factor: 1.1 },
      scaling: { min: 0.05, max: 3 },
      preventDefaultContextMenu: true,
      magnetThreshold: 3,
      interacting: () => (o.editable ? { nodeMovable: true, edgeMovable: false, edgeLabelMovable: false, magnetConnectable: true } : false),
      highlighting: {
        magnetAvailable: { name: 'className', args: { className: 'tn-available' } },
        magnetAdsorbed: { name: 'className', args: { className: 'tn-adsorbed' } },
      },
      connecting: {
        snap: { radius: 24 },
        allowBlank: false,
        allowLoop: false,
        allowNode: false,
        allowEdge: false,
        allowMulti: 'withPort',
        highlight: true,
        router: 'normal',
        connector: { name: 'smooth', args: { direction: 'V' } },
        anchor: 'tn-port',
        connectionPoint: 'anchor',
        createEdge() {
          return this.createEdge({ shape: 'trellis-edge', attrs: edgeAttrs('#9ca3af'), zIndex: -1 });
        },
        validateMagnet({ magnet }) {
          return o.editable && (magnet.getAttribute('port-group') || '').startsWith('out-');
        },
        validateConnection(args) {
          const why = canvas.refuse(args);
          if (why && args.targetMagnet) canvas.refusal = why;
          return !why;
        },
      },
    });
    const g = this.graph;
    g.use(
      new Selection({
        enabled: true,
        multiple: true,
        rubberband: true,
        movable: true,
        showNodeSelectionBox: true,
        pointerEvents: 'none',
        eventTypes: ['leftMouseDown'],
        filter: (cell) => cell.isNode() || cell.isEdge(),
      }),
    );
    g.use(new Snapline({ enabled: true, sharp: true }));
    g.use(
      new History({
        enabled: true,
        stackSize: 500,
        beforeAddCommand(event, args) {
          if (args.options && args.options.ignoreHistory) return false;
          if (args.key === 'attrs' || args.key === 'tools' || args.key === 'zIndex') return false;
          return true;
        },
      }),
    );
    g.use(new Keyboard({ enabled: true, global: true }));

    // Virtual rendering drops the views that leave the visible area. While
    // a mouse button is down (a node being dragged, the view being panned)
    // no drawn view is dropped — a dragged node that leaves the view and
    // comes back stays drawn — and on release the area is looked at again.
    let pressed = false;
    const sched = g.renderer.schedule;
    const updatable = sched.isUpdatable.bind(sched);
    sched.isUpdatable = (view) => updatable(view) || (pressed && sched.isViewMounted(view));
    container.addEventListener('mousedown', () => (pressed = true), true);
    window.addEventListener(
      'mouseup',
      () => {
        if (!pressed) return;
        pressed = false;
        setTimeout(() => g.renderer.setRenderArea(g.getGraphArea().inflate(160, 160)), 0);
      },
      true,
    );
    // X6 queues a view's removal as a job keyed by the cell's id, and a job
    // queued under the same id replaces it: a cell removed and another with
    // the same id added before the queue runs (as restoring a revision does)
    // would leave the removed cell's view drawn, a ghost. Such a view is
    // removed at once instead.
    const renderViews = sched.renderViews.bind(sched);
    sched.renderViews = (cells, options) => {
      for (const cell of cells) {
        const gone = sched.willRemoveViews[cell.id];
        if (gone) sched.removeView(gone.view);
      }
      return renderViews(cells, options);
    };

    // A selected edge is drawn thicker (nodes get X6's selection box).
    const mark = (cell, on) => {
      const view = cell.isEdge() ? g.findViewByCell(cell) : null;
      if (view && view.container) view.container.classList.toggle('tn-selected', on);
    };
    g.on('cell:selected', ({ cell }) => mark(cell, true));
    g.on('cell:unselected', ({ cell }) => mark(cell, false));

    // A freshly connected edge takes the colour of its kind.
    g.on('edge:connected', ({ edge }) => {
      const sp = portName(edge.getSourcePortId());
      const kind = this.portKind(edge.getSourceCell(), sp);
      edge.setAttrs(edgeAttrs(kindColor(kind)), QUIET);
      this.refusal = '';
    });
    // Ports get their tooltip when the pointer first comes to them, not
    // for every port of every node up front.
    g.on('node:port:mouseenter', ({ node, port, e }) => {
      const el = e && e.target;
      if (!el || el.querySelector('title')) return;
      const t = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      t.textContent = portTitle(this.specOfNode(node), port);
      el.append(t);
    });
    g.on('edge:mouseup', ({ edge }) => {
      // An edge dropped without a target is removed by X6; say why.
      if (!edge.getTargetCell() && this.refusal && o.onRefused) o.onRefused(this.refusal);
      this.refusal = '';
    });
  }

  /** portKind returns the kind of a node's port. */
  portKind(node, p) {
    if (!node || !p) return null;
    const spec = this.specOfNode(node);
    if (!spec) return null;
    const list = p.dir === 'in' ? spec.inputs : spec.outputs;
    const port = (list || []).find((x) => x.name === p.name);
    return port ? port.kind : null;
  }

  specOfNode(node) {
    const d = node.getData() || {};
    return this.o.specOf(d.module, d.version);
  }

  /** refuse says why a connection may not be made, or '' when it may. */
  refuse({ sourceCell, targetCell, sourcePort, targetPort, edge }) {
    const sp = portName(sourcePort);
    const tp = portName(targetPort);
    if (!sp || !tp || !targetCell || !sourceCell) return 'connect an output to an input port';
    if (sp.dir !== 'out' || tp.dir !== 'in') return 'connect an output (bottom) to an input (top)';
    if (sourceCell.id === targetCell.id) return 'a node cannot feed itself';
    const sk = this.portKind(sourceCell, sp);
    const tk = this.portKind(targetCell, tp);
    if (sk !== tk) {
      return `refused: ${KINDS[sk]?.label || sk} output cannot go into a ${KINDS[tk]?.label || tk} input`;
    }
    const taken = this.graph
      .getConnectedEdges(targetCell, { incoming: true })
      .some((e) => e !== edge && e.getTargetPortId() === targetPort && e.getSourceCell());
    if (taken) return `refused: input "${tp.name}" already has a connection; delete it first`;
    if (this.reaches(targetCell.id, sourceCell.id)) return 'refused: that connection would make a cycle';
    return '';
  }

  /** reaches reports whether `to` is downstream of `from`. */
  reaches(from, to) {
    const seen = new Set([from]);
    const stack = [from];
    while (stack.length) {
      const id = stack.pop();
      if (id === to) return true;
      const cell = this.graph.getCellById(id);
      for (const e of this.graph.getConnectedEdges(cell, { outgoing: true })) {
        const t = e.getTargetCellId();
        if (t && !seen.has(t)) {
          seen.add(t);
          stack.push(t);
        }
      }
    }
    return false;
  }

  /** nodeCell builds the cell of a document node. */
  nodeCell(n) {
    const spec = this.o.specOf(n.module, n.version);
    const data = {
      module: n.module,
      version: n.version,
      title: n.title || '',
      comment: n.comment || '',
      params: n.params ? { ...n.params } : {},
    };
    return {
      id: n.id,
      shape: 'trellis-node',
      x: n.position ? n.position.x : 0,
      y: n.position ? n.position.y : 0,
      data,
      ports: { items: portItems(spec) },
    };
  }

  edgeCell(e, fromNode) {
    const from = fromNode || this.graph.getCellById(e.from.node);
    const kind = from ? this.portKind(from, { dir: 'out', name: e.from.port }) : null;
    return {
      shape: 'trellis-edge',
      source: { cell: e.from.node, port: portId('out', e.from.port) },
      target: { cell: e.to.node, port: portId('in', e.to.port) },
      attrs: edgeAttrs(kindColor(kind)),
      zIndex: -1,
    };
  }

  /** load replaces the graph with a document's nodes and edges (not undoable). */
  load(doc) {
    const g = this.graph;
    const ids = new Set(doc.nodes.map((n) => n.id));
    performance.mark('designer:cells');
    const cells = doc.nodes.map((n) => g.createNode(this.nodeCell(n)));
    const kinds = new Map(cells.map((c) => [c.id, c]));
    for (const e of doc.edges) {
      if (ids.has(e.from.node) && ids.has(e.to.node)) cells.push(g.createEdge(this.edgeCell(e, kinds.get(e.from.node))));
    }
    performance.mark('designer:models');
    // Frame the document first, so that what is drawn below is what shows;
    // then draw it at once rather than in frame-sized slices, which take
    // seconds for a large workflow (later edits render asynchronously).
    if (doc.nodes.length) this.frame(doc.nodes);
    const async = g.options.async;
    g.options.async = false;
    g.model.resetCells(cells, QUIET);
    g.options.async = async;
    g.cleanHistory();
  }

  /** frame zooms (up to 100%) and pans so that the nodes fill the view. */
  frame(nodes) {
    const g = this.graph;
    const xs = nodes.map((n) => (n.position ? n.position.x : 0));
    const ys = nodes.map((n) => (n.position ? n.position.y : 0));
    const x0 = Math.min(...xs);
    const y0 = Math.min(...ys);
    const w = Math.max(...xs) - x0 + NODE_WIDTH;
    const h = Math.max(...ys) - y0 + NODE_HEIGHT + 20;
    const el = g.container;
    // The graph learns its size from autoResize a frame late; the virtual
    // render area needs it now.
    g.resize(el.clientWidth, el.clientHeight);
    const pad = 40;
    const k = Math.max(0.05, Math.min(1, (el.clientWidth - 2 * pad) / w, (el.clientHeight - 2 * pad) / h));
    g.zoomTo(k);
    g.centerPoint(x0 + w / 2, y0 + h / 2);
    // X6 updates the area it renders at most every 200 ms; a new view must
    // count now.
    g.renderer.setRenderArea(g.getGraphArea().inflate(160, 160));
  }

  /** toDocument returns the nodes and edges of the graph as document parts. */
  toDocument() {
    const nodes = this.graph.getNodes().map((node) => {
      const d = node.getData() || {};
      const p = node.getPosition();
      const n = { id: node.id, module: d.module, version: d.version };
      if (d.title) n.title = d.title;
      if (d.comment) n.comment = d.comment;
      n.position = { x: Math.round(p.x), y: Math.round(p.y) };
      if (d.params && Object.keys(d.params).length) n.params = d.params;
      return n;
    });
    const edges = [];
    for (const e of this.graph.getEdges()) {
      const s = portName(e.getSourcePortId());
      const t = portName(e.getTargetPortId());
      const sc = e.getSourceCellId();
      const tc = e.getTargetCellId();
      if (!s || !t || !sc || !tc) continue;
      edges.push({ from: { node: sc, port: s.name }, to: { node: tc, port: t.name } });
    }
    return { nodes, edges };
  }

  /** newId returns an unused node id derived from the module id. */
  newId(module) {
    const base = module.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 56);
    for (let i = 1; ; i++) {
      const id = `${base}_${i}`;
      if (!this.graph.getCellById(id)) return id;
    }
  }

  /** addModule places a new node of the spec with its centre at (x, y). */
  addModule(spec, x, y) {
    const params = {};
    const n = {
      id: this.newId(spec.id),
      module: spec.id,
      version: spec.version,
      position: { x: Math.round((x - NODE_WIDTH / 2) / 10) * 10, y: Math.round((y - NODE_HEIGHT / 2) / 10) * 10 },
      params,
    };
    const node = this.graph.addNode(this.nodeCell(n));
    this.graph.resetSelection(node);
    return node;
  }

  /** selectedNodes returns the selected node cells. */
  selectedNodes() {
    return this.graph.getSelectedCells().filter((c) => c.isNode());
  }

  /** copy returns the selected nodes and the edges among them as a document fragment. */
  copy() {
    const nodes = this.selectedNodes();
    if (!nodes.length) return null;
    const ids = new Set(nodes.map((n) => n.id));
    const doc = this.toDocument();
    return {
      nodes: doc.nodes.filter((n) => ids.has(n.id)),
      edges: doc.edges.filter((e) => ids.has(e.from.node) && ids.has(e.to.node)),
    };
  }

  /** paste adds a copied fragment with fresh ids, offset, as one undo step. */
  paste(frag, offset = 40) {
    if (!frag || !frag.nodes || !frag.nodes.length) return [];
    const g = this.graph;
    const rename = new Map();
    const added = [];
    g.startBatch('paste');
    for (const n of frag.nodes) {
      const id = this.newId(n.module);
      rename.set(n.id, id);
      const copy = { ...n, id, position: { x: n.position.x + offset, y: n.position.y + offset } };
      added.push(g.addNode(this.nodeCell(copy)));
    }
    for (const e of frag.edges) {
      if (!rename.has(e.from.node) || !rename.has(e.to.node)) continue;
      g.addEdge(
        this.edgeCell({
          from: { node: rename.get(e.from.node), port: e.from.port },
          to: { node: rename.get(e.to.node), port: e.to.port },
        }),
      );
    }
    g.stopBatch('paste');
    g.resetSelection(added);
    return added;
  }

  /** removeSelected deletes the selected cells as one undo step. */
  removeSelected() {
    const cells = this.graph.getSelectedCells();
    if (!cells.length) return;
    this.graph.startBatch('delete');
    this.graph.removeCells(cells);
    this.graph.stopBatch('delete');
  }

  /** moveNodes sets several positions as one undo step. */
  moveNodes(positions) {
    const g = this.graph;
    g.startBatch('layout');
    for (const [id, p] of Object.entries(positions)) {
      const n = g.getCellById(id);
      if (n) n.setPosition(p.x, p.y);
    }
    g.stopBatch('layout');
  }
}

function edgeAttrs(color) {
  return { line: { stroke: color } };
}
