// Views for large workflows. X6's generic views parse the markup and run
// every attribute through its attribute pipeline, for each cell; ours clone
// one prepared template and set the few attributes that differ between
// cells directly. With them a thousand-node workflow draws in a third of
// the time.
import { Config, Graph, NodeView, EdgeView, Markup, Point } from '@antv/x6';
import { portCircle } from './shapes.js';

// Attribute keys are our selectors, never CSS selectors: with this off, X6
// draws a node's ports once instead of again at every attribute change.
Config.useCSSSelector = false;

let template = null;

// prepare parses the markup once and records where each selected element
// sits in the tree, so that a clone's elements are found without searching.
function prepare(markup) {
  const { fragment, selectors } = Markup.parseJSONMarkup(markup);
  const paths = [];
  for (const [sel, el] of Object.entries(selectors)) {
    const path = [];
    for (let n = el; n && n !== fragment; n = n.parentNode) {
      path.unshift(Array.prototype.indexOf.call(n.parentNode.childNodes, n));
    }
    paths.push([sel, path]);
  }
  return { fragment, paths };
}

const kebab = new Map();
function attrName(k) {
  let n = kebab.get(k);
  if (!n) {
    n = k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    kebab.set(k, n);
  }
  return n;
}

// setTitle gives an element a tooltip (an SVG <title> child).
function setTitle(el, text) {
  let t = null;
  for (const c of el.childNodes) if (c.nodeName === 'title') t = c;
  if (!text) {
    if (t) t.remove();
    return;
  }
  if (!t) {
    t = document.createElementNS('http://www.w3.org/2000/svg', 'title');
    el.prepend(t);
  }
  if (t.textContent !== text) t.textContent = text;
}

// applyAttrs sets {selector: {name: value}} on the view's elements. Values
// are plain: "text" is the element's text, "title" its tooltip, anything
// else an attribute (camelCase names become kebab-case).
function applyAttrs(selectors, attrs) {
  for (const sel of Object.keys(attrs)) {
    const el = selectors[sel];
    const a = attrs[sel];
    if (!el || !a) continue;
    for (const k of Object.keys(a)) {
      const v = a[k];
      if (k === 'text') {
        const s = v == null ? '' : String(v);
        if (el.textContent !== s) el.textContent = s;
      } else if (k === 'title') {
        setTitle(el, v == null ? '' : String(v));
      } else {
        const name = attrName(k);
        if (v == null) el.removeAttribute(name);
        else if (el.getAttribute(name) !== String(v)) el.setAttribute(name, String(v));
      }
    }
  }
}

// An edge ends at its port's centre, which the model knows (ports sit at
// fixed places, see shapes.portItems): no DOM measurement per edge.
Graph.registerAnchor(
  'tn-port',
  (view, magnet) => {
    const node = view.cell;
    const pos = node.getPosition();
    const id = magnet && magnet.getAttribute && magnet.getAttribute('port');
    const port = id ? node.getPort(id) : null;
    if (port && port.args) return new Point(pos.x + port.args.x, pos.y + port.args.y);
    const size = node.getSize();
    return new Point(pos.x + size.width / 2, pos.y + size.height / 2);
  },
  true,
);

// portTemplates holds one prepared port element per port group.
const portTemplates = new Map();

function portTemplate(group) {
  let t = portTemplates.get(group);
  if (!t) {
    t = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
    for (const [k, v] of Object.entries(portCircle(group))) t.setAttribute(k, String(v));
    portTemplates.set(group, t);
  }
  return t;
}

// labeler returns the attrs that show a node's own labels (title, module,
// comment, category colour) from its data; the app sets it. Deriving them
// in the view keeps them out of the model, which X6 deep-copies per cell.
let labeler = () => ({});

/** setLabeler sets how a node's labels are derived from its data. */
export function setLabeler(fn) {
  labeler = fn;
}

export class TrellisNodeView extends NodeView {
  // createPortElement and updatePorts draw ports from a prepared element
  // per group at the place the port item gives (args.x, args.y).
  createPortElement(port) {
    const g = document.createElementNS('http://www.w3.org/2000/svg', 'g');
    g.setAttribute('class', `x6-port x6-port-${port.group}`);
    const c = portTemplate(port.group).cloneNode(true);
    c.setAttribute('port', port.id);
    c.setAttribute('port-group', port.group);
    g.appendChild(c);
    this.portsCache[port.id] = {
      portElement: g,
      portSelectors: { circle: c },
      portContentElement: c,
      portContentSelectors: { circle: c },
    };
    return g;
  }

  updatePorts() {
    for (const port of this.cell.getParsedPorts()) {
      const cached = this.portsCache[port.id];
      const a = port.args || {};
      if (cached) cached.portElement.setAttribute('transform', `translate(${a.x || 0},${a.y || 0})`);
    }
  }

  renderMarkup() {
    if (!template) template = prepare(this.cell.markup);
    const frag = template.fragment.cloneNode(true);
    const selectors = {};
    for (const [sel, path] of template.paths) {
      let el = frag;
      for (const i of path) el = el.childNodes[i];
      selectors[sel] = el;
    }
    if (this.rootSelector) selectors[this.rootSelector] = this.container;
    this.selectors = selectors;
    this.container.appendChild(frag);
  }

  update() {
    this.cleanCache();
    applyAttrs(this.selectors, labeler(this.cell));
    applyAttrs(this.selectors, this.cell.getAttrs() || {});
  }
}

// arrowId defines (once per colour) the arrowhead at an edge's end.
function arrowId(graph, color) {
  const id = `tn-arrow-${color.replace(/[^0-9a-zA-Z]/g, '')}`;
  return graph.defineMarker({ id, tagName: 'path', d: 'M -15 -4.5 L -6.5 0 L -15 4.5 z', fill: color, stroke: 'none', refX: 0, refY: 0 });
}

export class TrellisEdgeView extends EdgeView {
  update(options = {}) {
    this.cleanCache();
    this.updateConnection(options);
    const d = this.getConnectionPathData();
    const { wrap, line } = this.selectors;
    if (wrap && wrap.getAttribute('d') !== d) wrap.setAttribute('d', d);
    if (line) {
      if (line.getAttribute('d') !== d) line.setAttribute('d', d);
      const attrs = this.cell.getAttrs() || {};
      const stroke = (attrs.line && attrs.line.stroke) || '#9ca3af';
      if (line.getAttribute('stroke') !== stroke) {
        line.setAttribute('stroke', stroke);
        line.setAttribute('marker-end', `url(#${arrowId(this.graph, stroke)})`);
      }
    }
    this.updateLabelPositions();
    this.updateTools(options);
    return this;
  }
}
