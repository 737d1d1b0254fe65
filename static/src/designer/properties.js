// The properties pane: for the selected node, a widget per parameter of its
// module's spec (with help, bounds, show_if, column pickers fed by the
// inferred upstream schema, expression editors, workflow-parameter binding)
// and the node's title, comment, ports, run state and outputs; with nothing
// selected, the workflow's own name, parameters and problems.
import { h, replace, debounce, formatNumber, formatDuration } from './dom.js';
import { columnPicker, columnSetPicker } from './columns.js';
import { ExpressionEditor } from './expression.js';
import { KINDS, STATUS } from './shapes.js';

const BINDABLE = { string: 'string', text: 'string', int: 'int', float: 'float', bool: 'bool', choice: 'string' };

export class Properties {
  constructor(root, designer) {
    this.root = root;
    this.d = designer;
    this.fields = [];
    this.nodeId = null;
  }

  /** show renders the pane for the current selection. */
  show() {
    const sel = this.d.canvas.selectedNodes();
    this.fields = [];
    if (sel.length === 1) {
      this.nodeId = sel[0].id;
      this.renderNode(sel[0]);
    } else {
      this.nodeId = null;
      if (sel.length > 1) this.renderMany(sel);
      else this.renderWorkflow();
    }
  }

  /** rerender redraws the pane keeping the focused field and its caret. */
  rerender() {
    const a = document.activeElement;
    const key = a && this.root.contains(a) ? a.id : null;
    const range = key && 'selectionStart' in a ? [a.selectionStart, a.selectionEnd] : null;
    this.show();
    if (key) {
      const el = document.getElementById(key);
      if (el) {
        el.focus();
        if (range && el.setSelectionRange) {
          try {
            el.setSelectionRange(range[0], range[1]);
          } catch {
            // Not a text field.
          }
        }
      }
    }
  }

  /** update refreshes problems, schemas and run state without rebuilding the widgets being edited. */
  update() {
    if (this.nodeId && !this.d.canvas.graph.getCellById(this.nodeId)) return this.show();
    for (const f of this.fields) f.update();
    if (!this.nodeId) {
      const p = this.root.querySelector('.dz-problem-list');
      if (p) p.replaceWith(this.problemList());
    }
  }

  renderMany(sel) {
    replace(
      this.root,
      h('h2', null, `${sel.length} nodes selected`),
      h('p.dz-hint', null, 'Drag one of them to move them all. Ctrl+C copies them, Delete removes them.'),
      h(
        'div.dz-actions',
        null,
        h('button', { type: 'button', onclick: () => this.d.command('copy') }, 'Copy'),
        this.d.editable ? h('button.dz-danger', { type: 'button', onclick: () => this.d.command('delete') }, 'Delete') : null,
      ),
    );
  }

  renderWorkflow() {
    const d = this.d;
    const meta = d.meta;
    const name = h('input', {
      id: 'wf-name',
      type: 'text',
      value: meta.name,
      maxlength: 200,
      required: true,
      disabled: !d.editable,
      testid: 'workflow-name-input',
      onchange: (e) => {
        const v = e.target.value.trim();
        if (v) d.setMeta({ name: v });
        else e.target.value = meta.name;
      },
    });
    const desc = h('textarea', {
      id: 'wf-desc',
      rows: 3,
      value: meta.description || '',
      disabled: !d.editable,
      onchange: (e) => d.setMeta({ description: e.target.value }),
    });
    replace(
      this.root,
      h('h2', null, 'Workflow'),
      field('wf-name', 'Name', name),
      field('wf-desc', 'Description', desc),
      h('h3', null, 'Parameters'),
      h(
        'p.dz-hint',
        null,
        'Workflow parameters can be set for each run; bind a node parameter to one with the $ button beside it, or use $name in an expression.',
      ),
      this.paramTable(),
      h('h3', null, 'Problems'),
      this.problemList(),
      h('h3', null, 'Keys'),
      h(
        'dl.dz-keys',
        null,
        [
          ['Ctrl+Z / Ctrl+Shift+Z', 'undo / redo'],
          ['Delete', 'remove the selection'],
          ['Ctrl+C / Ctrl+V', 'copy / paste'],
          ['Ctrl+A', 'select all'],
          ['Ctrl+wheel', 'zoom; wheel or right-drag to pan'],
          ['Drag on the background', 'select an area'],
        ].map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
      ),
    );
  }

  paramTable() {
    const d = this.d;
    const params = d.meta.parameters || [];
    const rows = params.map((p, i) => {
      const set = (patch) => {
        const next = params.map((q, k) => (k === i ? { ...q, ...patch } : q));
        d.setMeta({ parameters: next });
        this.rerender();
      };
      let def = '';
      if (p.default !== undefined) def = typeof p.default === 'string' ? p.default : JSON.stringify(p.default);
      return h(
        'tr',
        null,
        h('td', null, h('input', { id: `wp-name-${i}`, value: p.name, 'aria-label': 'parameter name', disabled: !d.editable, onchange: (e) => set({ name: e.target.value.trim() }) })),
        h(
          'td',
          null,
          h(
            'select',
            { 'aria-label': 'type', disabled: !d.editable, onchange: (e) => set({ type: e.target.value }) },
            ['string', 'int', 'float', 'bool'].map((t) => h('option', { value: t, selected: p.type === t }, t)),
          ),
        ),
        h(
          'td',
          null,
          h('input', {
            id: `wp-default-${i}`,
            value: def,
            'aria-label': 'default',
            disabled: !d.editable,
            onchange: (e) => set({ default: parseTyped(p.type, e.target.value) }),
          }),
        ),
        h(
          'td',
          null,
          d.editable
            ? h(
                'button.dz-icon',
                {
                  type: 'button',
                  title: 'Remove parameter',
                  onclick: () => {
                    d.setMeta({ parameters: params.filter((_, k) => k !== i) });
                    this.rerender();
                  },
                },
                '×',
              )
            : null,
        ),
      );
    });
    return h(
      'div.dz-wparams',
      null,
      params.length
        ? h('table.dz-table.dz-compact', null, h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Type'), h('th', null, 'Default'), h('th'))), h('tbody', null, rows))
        : h('p.dz-hint', null, 'No parameters.'),
      d.editable
        ? h(
            'button.dz-link',
            {
              type: 'button',
              onclick: () => {
                let n = params.length + 1;
                while (params.some((p) => p.name === `param${n}`)) n++;
                d.setMeta({ parameters: [...params, { name: `param${n}`, type: 'string', default: '' }] });
                this.rerender();
              },
            },
            '+ Add parameter',
          )
        : null,
    );
  }

  problemList() {
    const probs = this.d.validation ? this.d.validation.problems : [];
    if (!probs.length) return h('p.dz-problem-list.dz-ok', { testid: 'problem-list' }, this.d.validation ? 'No problems found.' : 'Checking…');
    return h(
      'ul.dz-problem-list',
      { testid: 'problem-list' },
      probs.slice(0, 200).map((p) =>
        h(
          'li',
          null,
          p.node
            ? h('button.dz-link', { type: 'button', onclick: () => this.d.selectNode(p.node, true) }, this.d.nodeLabel(p.node))
            : null,
          p.node ? ': ' : '',
          p.param ? h('em', null, `${p.param} `) : null,
          p.message,
        ),
      ),
    );
  }

  renderNode(node) {
    const d = this.d;
    const data = node.getData() || {};
    const spec = d.specOf(data.module, data.version);
    const parts = [];
    parts.push(
      h(
        'header.dz-node-head',
        null,
        h('h2', { testid: 'props-title' }, data.title || (spec ? spec.name : data.module)),
        h('p.dz-hint', null, spec ? `${spec.name} · ${spec.category} · v${spec.version}` : `Unknown module ${data.module}@${data.version}`),
        spec ? h('p.dz-summary', null, spec.summary) : null,
        spec && spec.help ? h('details.dz-help', null, h('summary', null, 'About this module'), h('p', null, spec.help)) : null,
        h('p.dz-hint', null, 'Node id: ', h('code', null, node.id)),
      ),
    );
    // Title and comment.
    const setLater = debounce((patch) => d.setNodeData(node, patch), 300);
    parts.push(
      field(
        `n-title`,
        'Title',
        h('input', {
          id: 'n-title',
          type: 'text',
          value: data.title || '',
          placeholder: spec ? spec.name : '',
          disabled: !d.editable,
          testid: 'node-title',
          oninput: (e) => setLater({ title: e.target.value }),
          onchange: () => setLater.flush(),
        }),
      ),
      field(
        `n-comment`,
        'Comment',
        h('textarea', {
          id: 'n-comment',
          rows: 2,
          value: data.comment || '',
          disabled: !d.editable,
          testid: 'node-comment',
          oninput: (e) => setLater({ comment: e.target.value }),
          onchange: () => setLater.flush(),
        }),
      ),
    );

    if (spec) {
      parts.push(h('h3', null, 'Parameters'));
      const shown = spec.params.filter((p) => this.visible(p, spec, data.params || {}));
      if (!shown.length) parts.push(h('p.dz-hint', null, 'This module has no parameters.'));
      for (const p of shown) {
        const f = this.paramField(node, spec, p);
        this.fields.push(f);
        parts.push(f.el);
      }
      const nodeProblems = h('div.dz-node-problems', { testid: 'node-problems' });
      const np = {
        el: nodeProblems,
        update: () => {
          const probs = d.problemsOf(node.id).filter((p) => !p.param || !shown.some((s) => s.name === p.param));
          replace(nodeProblems, probs.map((p) => h('p.dz-error', null, (p.port ? `${p.port}: ` : p.param ? `${p.param}: ` : '') + p.message)));
        },
      };
      this.fields.push(np);
      parts.push(nodeProblems);
      parts.push(this.portsSection(node, spec));
    }
    replace(this.root, parts);
    for (const f of this.fields) f.update();
  }

  /** visible applies a parameter's show_if to the node's values. */
  visible(p, spec, params) {
    if (!p.show_if) return true;
    const ctl = spec.params.find((q) => q.name === p.show_if.param);
    let v = params[p.show_if.param];
    if (v === undefined && ctl) v = ctl.default;
    if (ctl && !this.visible(ctl, spec, params)) return false;
    return p.show_if.values.includes(String(v));
  }

  paramField(node, spec, p) {
    const d = this.d;
    const id = `p-${p.name}`;
    const data = () => node.getData() || {};
    const value = (data().params || {})[p.name];
    const controls = spec.params.some((q) => q.show_if && q.show_if.param === p.name);
    const set = (v) => {
      const params = { ...(data().params || {}) };
      if (v === undefined || v === '') delete params[p.name];
      else params[p.name] = v;
      d.setNodeData(node, { params });
      if (controls) this.rerender();
    };
    const setLater = debounce(set, 300);
    const error = h('p.dz-error', { testid: `error-${p.name}`, hidden: true });
    const schemaOf = () => {
      const sh = d.shapesOf(node.id);
      const s = sh && sh.inputs ? sh.inputs[p.input] : null;
      return s ? s.columns || [] : null;
    };
    const bound = typeof value === 'string' && /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(value);
    let widget;
    let expr = null;
    const testid = `param-${p.name}`;
    if (bound) {
      widget = h(
        'div.dz-bound',
        { testid },
        'Bound to workflow parameter ',
        h('code', null, value),
        ' ',
        d.editable ? h('button.dz-link', { type: 'button', onclick: () => { set(undefined); this.rerender(); } }, 'Unbind') : null,
      );
    } else {
      switch (p.type) {
        case 'text':
          widget = h('textarea', {
            id,
            rows: 5,
            value: value ?? '',
            placeholder: p.default != null ? String(p.default) : p.example || '',
            testid,
            spellcheck: false,
            oninput: (e) => setLater(e.target.value),
            onchange: () => setLater.flush(),
          });
          break;
        case 'int':
        case 'float': {
          const attrs = {
            id,
            type: 'number',
            step: p.type === 'int' ? 1 : 'any',
            value: value ?? '',
            placeholder: p.default != null ? String(p.default) : '',
            testid,
          };
          if (p.min != null) attrs.min = p.min;
          if (p.max != null) attrs.max = p.max;
          attrs.oninput = (e) => {
            const s = e.target.value.trim();
            const n = p.type === 'int' ? Number.parseInt(s, 10) : Number.parseFloat(s);
            const bad = s !== '' && (!Number.isFinite(n) || (p.type === 'int' && !/^-?\d+$/.test(s)));
            const out = !bad && s !== '' && ((p.min != null && n < p.min) || (p.max != null && n > p.max));
            e.target.setCustomValidity(bad ? `enter ${p.type === 'int' ? 'a whole number' : 'a number'}` : out ? boundsText(p) : '');
            if (!bad && !out) setLater(s === '' ? undefined : n);
          };
          attrs.onchange = () => setLater.flush();
          widget = h('input', attrs);
          break;
        }
        case 'bool': {
          const checked = value === undefined ? !!p.default : !!value;
          widget = h('label.dz-check', null, h('input', { id, type: 'checkbox', checked, testid, onchange: (e) => set(e.target.checked) }), ' ', p.label);
          break;
        }
        case 'choice': {
          const cur = value ?? p.default;
          widget = h(
            'select',
            { id, testid, onchange: (e) => set(e.target.value) },
            p.default == null ? h('option', { value: '' }, '(choose)') : null,
            (p.choices || []).map((c) => h('option', { value: c.value, selected: c.value === cur, title: c.help || '' }, c.label || c.value)),
          );
          break;
        }
        case 'column':
          widget = h('div.dz-colwrap');
          break;
        case 'columns':
          widget = h('div.dz-colwrap');
          break;
        case 'expression':
          expr = new ExpressionEditor({ id, value: value ?? '', testid, onInput: (v) => setLater(v) });
          widget = expr.el;
          break;
        default:
          widget = h('input', {
            id,
            type: 'text',
            value: value ?? '',
            placeholder: p.default != null ? String(p.default) : p.example ? `e.g. ${p.example}` : '',
            testid,
            spellcheck: false,
            oninput: (e) => setLater(e.target.value),
            onchange: () => setLater.flush(),
          });
      }
    }
    if (!d.editable) {
      for (const el of [widget, ...widget.querySelectorAll('input,select,textarea,button')]) {
        if ('disabled' in el) el.disabled = true;
      }
    }
    const wp = (d.meta.parameters || []).filter((w) => BINDABLE[p.type] && (BINDABLE[p.type] === w.type || p.type === 'string' || p.type === 'text'));
    const bind =
      d.editable && !bound && wp.length
        ? h(
            'select.dz-bind',
            {
              title: 'Bind to a workflow parameter',
              'aria-label': `bind ${p.label} to a workflow parameter`,
              onchange: (e) => {
                if (e.target.value) {
                  set(`$${e.target.value}`);
                  this.rerender();
                }
              },
            },
            h('option', { value: '' }, '$'),
            wp.map((w) => h('option', { value: w.name }, `$${w.name}`)),
          )
        : null;
    const help = h('p.dz-help-text', null, p.help, p.min != null || p.max != null ? ` (${boundsText(p)})` : '', p.example ? ` Example: ${p.example}` : '');
    const el = h(
      'div.dz-field',
      { dataset: { param: p.name } },
      h('div.dz-field-head', null, p.type === 'bool' && !bound ? h('span.dz-label', null, p.required ? `${p.label} *` : '') : h('label', { for: id }, p.label, p.required ? ' *' : ''), bind),
      widget,
      error,
      help,
    );
    let schemaKey;
    return {
      el,
      update: () => {
        const probs = d.problemsOf(node.id).filter((q) => q.param === p.name);
        const prob = probs[0];
        const schema = p.input ? schemaOf() : null;
        if (!bound && (p.type === 'column' || p.type === 'columns')) {
          const key = schema ? JSON.stringify(schema) : 'none';
          // Rebuild the picker when the columns it lists change, unless the
          // analyst is in it.
          if (key !== schemaKey && !widget.contains(document.activeElement)) {
            schemaKey = key;
            const cur = (data().params || {})[p.name];
            const picker =
              p.type === 'column'
                ? columnPicker({ id, value: cur, schema, onChange: set, testid })
                : columnSetPicker({ id, value: cur, fallback: p.default, schema, onChange: set, testid });
            if (!d.editable) for (const x of [picker, ...picker.querySelectorAll('input,select,button')]) x.disabled = true;
            replace(widget, picker);
          }
        }
        if (expr) expr.update(prob, schema);
        el.classList.toggle('dz-invalid', !!prob);
        if (prob && !expr) {
          error.textContent = probs.map((q) => q.message).join('; ');
          error.hidden = false;
        } else {
          error.hidden = true;
          error.textContent = '';
        }
      },
    };
  }

  portsSection(node, spec) {
    const d = this.d;
    const wrap = h('div.dz-ports');
    const f = {
      el: wrap,
      update: () => {
        const sh = d.shapesOf(node.id) || {};
        const st = d.running.statusOf(node.id);
        const run = d.running.outputRun(node.id);
        const rows = [];
        rows.push(h('h3', null, 'Inputs'));
        if (!spec.inputs || !spec.inputs.length) rows.push(h('p.dz-hint', null, 'None: this module starts a flow.'));
        for (const p of spec.inputs || []) {
          const s = sh.inputs ? sh.inputs[p.name] : null;
          rows.push(portRow(p, s, null));
        }
        rows.push(h('h3', null, 'Outputs'));
        for (const p of spec.outputs || []) {
          const s = sh.outputs ? sh.outputs[p.name] : null;
          const actions = [];
          if (run) {
            actions.push(
              h(
                'button.dz-small',
                { type: 'button', testid: `visualize-${p.name}`, onclick: () => d.outputs.open(run, node.id, p.name) },
                'Visualize',
              ),
            );
            if (p.kind === 'table') {
              actions.push(h('a.dz-small.dz-button', { href: d.running.downloadURL(run, node.id, p.name), download: '' }, 'Download CSV'));
            }
          }
          rows.push(portRow(p, s, actions));
        }
        rows.push(h('h3', null, 'Run'));
        if (st) {
          const word = st.stale ? STATUS.stale.word : (STATUS[st.status] || STATUS.queued).word;
          const detail = [];
          if (st.status === 'succeeded' || st.status === 'cached') {
            if ((spec.outputs || []).some((o) => o.kind === 'table')) detail.push(`${formatNumber(st.rows)} rows`);
            detail.push(formatDuration(st.duration_ms));
          }
          if (st.status === 'running') detail.push(`${Math.round((st.progress || 0) * 100)}%`);
          rows.push(
            h(
              'p',
              { testid: 'node-run-status' },
              h('strong', null, word),
              detail.length ? ` · ${detail.join(' · ')}` : '',
              st.stale ? ' — an edit upstream or here changed what this node would produce; run again.' : '',
            ),
          );
          if (st.error) rows.push(h('p.dz-error', null, st.error));
          if (st.runId) rows.push(h('button.dz-small', { type: 'button', testid: 'view-log', onclick: () => d.outputs.openLog(st.runId, node.id) }, 'View log'));
        } else {
          rows.push(h('p.dz-hint', null, 'Not run yet.'));
        }
        if (d.editable) {
          rows.push(
            h('button.dz-small', { type: 'button', testid: 'run-to-here', onclick: () => d.running.start(node.id) }, 'Run up to here'),
          );
        }
        replace(wrap, rows);
      },
    };
    this.fields.push(f);
    return wrap;
  }
}

function portRow(p, shape, actions) {
  const kind = KINDS[p.kind] ? KINDS[p.kind].label : p.kind;
  let info = '';
  if (shape && shape.columns) info = `${shape.columns.length} columns`;
  else if (shape && shape.task) info = shape.task;
  const dot = h('span.dz-kind-dot', { dataset: { kind: p.kind }, title: kind });
  return h(
    'div.dz-port-row',
    null,
    dot,
    h('span.dz-port-name', null, p.label, p.optional ? ' (optional)' : ''),
    h('span.dz-hint', null, ` ${kind}${info ? ` · ${info}` : ''}`),
    actions && actions.length ? h('span.dz-port-actions', null, actions) : null,
    shape && shape.columns && shape.columns.length
      ? h('details.dz-schema', null, h('summary', null, 'Columns'), h('ul', null, shape.columns.map((c) => h('li', null, `${c.name} `, h('small', null, c.type)))))
      : null,
  );
}

function field(id, label, input) {
  return h('div.dz-field', null, h('label', { for: id }, label), input);
}

function boundsText(p) {
  if (p.min != null && p.max != null) return `from ${p.min} to ${p.max}`;
  if (p.min != null) return `at least ${p.min}`;
  return `at most ${p.max}`;
}

function parseTyped(type, s) {
  switch (type) {
    case 'int': {
      const n = parseInt(s, 10);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'float': {
      const n = parseFloat(s);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'bool':
      return s === 'true';
    default:
      return s;
  }
}
