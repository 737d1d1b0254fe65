// The palette: module categories with search across names and summaries.
// A module is added by dragging it onto the canvas or by double-clicking it
// (or pressing Enter on it). The server renders the list from the specs;
// when it did not, it is built here from the same specs.
import { Dnd } from '@antv/x6';
import { h, replace } from './dom.js';
import { NODE_WIDTH, NODE_HEIGHT } from './shapes.js';

export class Palette {
  constructor(root, designer) {
    this.root = root;
    this.d = designer;
    this.list = root.querySelector('.dz-palette-list') || root.appendChild(h('div.dz-palette-list'));
    this.search = root.querySelector('input[type=search]');
    if (!this.list.querySelector('.dz-module')) this.render();
    if (this.search) {
      this.search.addEventListener('input', () => this.filter(this.search.value));
      this.search.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') {
          const first = this.list.querySelector('.dz-module:not([hidden])');
          if (first) this.add(first);
        }
      });
    }
    this.dnd = new Dnd({
      target: designer.canvas.graph,
      scaled: false,
      dndContainer: root,
      // The node being dragged is drawn by the designer's own views too.
      delegateGraphOptions: { createCellView: designer.canvas.graph.options.createCellView },
      getDropNode: (dragging) => {
        const spec = designer.specOf(dragging.getData().module, dragging.getData().version);
        // Dnd positions the node where it is dropped.
        const n = designer.canvas.nodeCell({
          id: designer.canvas.newId(spec.id),
          module: spec.id,
          version: spec.version,
          position: { x: 0, y: 0 },
        });
        return designer.canvas.graph.createNode(n);
      },
      validateNode: () => designer.editable,
    });
    this.list.addEventListener('mousedown', (e) => {
      const item = e.target.closest('.dz-module');
      if (!item || e.button !== 0 || !designer.editable) return;
      const spec = this.specOfItem(item);
      if (!spec) return;
      // No text selection while dragging.
      e.preventDefault();
      const cell = designer.canvas.nodeCell({ id: 'dragging', module: spec.id, version: spec.version, position: { x: 0, y: 0 } });
      this.dnd.start(designer.canvas.graph.createNode(cell), e);
    });
    this.list.addEventListener('dblclick', (e) => {
      const item = e.target.closest('.dz-module');
      if (item) this.add(item);
    });
    this.list.addEventListener('keydown', (e) => {
      const item = e.target.closest('.dz-module');
      if (item && e.key === 'Enter') this.add(item);
    });
    designer.canvas.graph.on('node:added', ({ node, options }) => {
      if (!options || !options.quiet) designer.canvas.graph.resetSelection(node);
    });
  }

  specOfItem(item) {
    return this.d.specOf(item.dataset.module, parseInt(item.dataset.version, 10));
  }

  /** add places a module in the middle of the visible canvas, below the selection if any. */
  add(item) {
    const spec = this.specOfItem(item);
    if (!spec || !this.d.editable) return;
    const g = this.d.canvas.graph;
    const sel = this.d.canvas.selectedNodes();
    let x;
    let y;
    if (sel.length === 1) {
      const p = sel[0].getPosition();
      x = p.x + NODE_WIDTH / 2;
      y = p.y + NODE_HEIGHT * 2 + 60;
    } else {
      const area = g.getGraphArea();
      x = area.x + area.width / 2;
      y = area.y + area.height / 2;
    }
    // Do not drop exactly on another node.
    while (g.getNodesInArea(x - NODE_WIDTH / 2, y - NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT).length) y += NODE_HEIGHT + 30;
    this.d.canvas.addModule(spec, x, y);
  }

  /** filter shows the modules whose name, id or summary has every word of q. */
  filter(q) {
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const cat of this.list.querySelectorAll('.dz-category')) {
      let any = false;
      for (const item of cat.querySelectorAll('.dz-module')) {
        const text = (item.dataset.search || item.textContent).toLowerCase();
        const ok = words.every((w) => text.includes(w));
        item.hidden = !ok;
        any ||= ok;
        if (ok) shown++;
      }
      cat.hidden = !any;
      if (words.length && any) cat.open = true;
    }
    let none = this.list.querySelector('.dz-palette-empty');
    if (!shown) {
      if (!none) this.list.append(h('p.dz-palette-empty', null, 'No module matches.'));
    } else if (none) none.remove();
  }

  /** render builds the list from the specs. */
  render() {
    replace(
      this.list,
      this.d.groups.map((g) =>
        h(
          'details.dz-category',
          { open: true },
          h('summary', null, g.category),
          h(
            'ul',
            null,
            g.modules.map((m) =>
              h(
                'li.dz-module',
                {
                  tabindex: 0,
                  title: m.summary,
                  dataset: { module: m.id, version: String(m.version), search: `${m.name} ${m.id} ${m.summary}` },
                  testid: `palette-${m.id}`,
                },
                h('span.dz-module-name', null, m.name),
                h('span.dz-module-summary', null, m.summary),
              ),
            ),
          ),
        ),
      ),
    );
  }
}
