// The output panel: what a node produced on one port — a table paged with
// its column types, per-column statistics with a histogram or bar chart
// each (drawn by the server as SVG), a report's metrics, tables and charts,
// a model's description — and a node's log. Tables download as CSV.
import { api } from './api.js';
import { h, replace, formatNumber, formatStat } from './dom.js';

const PAGE = 100;

export class Outputs {
  constructor(root, designer) {
    this.root = root;
    this.d = designer;
    this.title = root.querySelector('.dz-drawer-title');
    this.tabs = root.querySelector('.dz-drawer-tabs');
    this.body = root.querySelector('.dz-drawer-body');
    this.actions = root.querySelector('.dz-drawer-actions');
    root.querySelector('[data-action=close-drawer]').addEventListener('click', () => this.close());
    root.addEventListener('keydown', (e) => e.key === 'Escape' && this.close());
    this.current = null;
  }

  close() {
    this.root.hidden = true;
    this.current = null;
    this.d.root.classList.remove('dz-drawer-open');
  }

  show(title) {
    this.root.hidden = false;
    this.d.root.classList.add('dz-drawer-open');
    this.title.textContent = title;
    replace(this.tabs);
    replace(this.actions);
    replace(this.body, h('p.dz-hint', null, 'Loading…'));
  }

  portLabel(nodeId, port) {
    const spec = this.d.specOfNode(nodeId);
    const p = spec && (spec.outputs || []).find((o) => o.name === port);
    return p ? p.label : port;
  }

  /** open shows an output of a run. */
  async open(runId, nodeId, port, offset = 0) {
    this.current = { runId, nodeId, port };
    this.show(`${this.d.nodeLabel(nodeId)} · ${this.portLabel(nodeId, port)}`);
    let out;
    try {
      out = await api.output(runId, nodeId, port, offset, PAGE);
    } catch (e) {
      replace(this.body, h('p.dz-error', null, e.message));
      return;
    }
    if (!this.current || this.current.runId !== runId || this.current.port !== port || this.current.nodeId !== nodeId) return;
    if (out.table) this.showTable(out, runId, nodeId, port);
    else if (out.report) this.showReport(out.report, runId, nodeId, port);
    else if (out.model) this.showModel(out.model, runId, nodeId, port);
    else replace(this.body, h('p.dz-hint', null, 'This output has nothing to show.'));
  }

  tabbed(tabs, initial) {
    const select = (name) => {
      for (const b of this.tabs.querySelectorAll('button')) b.setAttribute('aria-selected', String(b.dataset.tab === name));
      replace(this.body, tabs.find((t) => t.name === name).render());
      this.tab = name;
    };
    replace(
      this.tabs,
      tabs.map((t) => h('button', { type: 'button', role: 'tab', dataset: { tab: t.name }, testid: `tab-${t.name}`, onclick: () => select(t.name) }, t.label)),
    );
    select(tabs.some((t) => t.name === this.tab) ? this.tab : initial);
  }

  download(runId, nodeId, port, label) {
    replace(this.actions, h('a.dz-button.dz-small', { href: api.download(runId, nodeId, port), download: '', testid: 'download' }, label));
  }

  showTable(out, runId, nodeId, port) {
    const t = out.table;
    this.download(runId, nodeId, port, 'Download CSV');
    const stored = out.source === 'stored';
    this.tabbed(
      [
        { name: 'data', label: `Data (${formatNumber(t.rows)} rows × ${t.columns.length} columns)`, render: () => this.dataView(t, runId, nodeId, port, stored) },
        { name: 'statistics', label: 'Statistics', render: () => statistics(t) },
      ],
      'data',
    );
  }

  dataView(t, runId, nodeId, port, stored) {
    const first = t.rows ? t.offset + 1 : 0;
    const last = t.offset + t.data.length;
    const pager = h(
      'div.dz-pager',
      null,
      h('button.dz-small', { type: 'button', disabled: t.offset === 0, onclick: () => this.open(runId, nodeId, port, Math.max(0, t.offset - PAGE)) }, '‹ Previous'),
      h('span', { testid: 'page-info' }, ` Rows ${formatNumber(first)}–${formatNumber(last)} of ${formatNumber(t.rows)} `),
      h('button.dz-small', { type: 'button', disabled: !t.truncated, onclick: () => this.open(runId, nodeId, port, t.offset + PAGE) }, 'Next ›'),
      stored ? h('span.dz-hint', null, ' Only the first rows were kept with this run; run again to page further.') : null,
    );
    return h('div.dz-data', null, pager, dataTable(t));
  }

  showReport(r, runId, nodeId, port) {
    this.download(runId, nodeId, port, 'Download JSON');
    this.tabbed(
      [
        {
          name: 'report',
          label: r.title || 'Report',
          render: () =>
            h(
              'div.dz-report',
              { testid: 'report' },
              (r.sections || []).map((s) =>
                h(
                  'section.dz-report-section',
                  null,
                  s.title ? h('h3', null, s.title) : null,
                  s.metrics && s.metrics.length
                    ? h(
                        'table.dz-table.dz-metrics',
                        null,
                        h('tbody', null, s.metrics.map((m) => h('tr', { dataset: { metric: m.name } }, h('th', null, m.name), h('td', null, formatStat(m.value)))))
                      )
                    : null,
                  s.svg ? h('img.dz-report-chart', { alt: s.title || 'chart', src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(s.svg)}` }) : null,
                  s.table ? dataTable(s.table) : null,
                ),
              ),
            ),
        },
      ],
      'report',
    );
  }

  showModel(m, runId, nodeId, port) {
    this.download(runId, nodeId, port, 'Download JSON');
    const rows = [
      ['Algorithm', m.algorithm],
      ['Task', m.task],
      ['Trained', m.trained ? 'yes' : 'no'],
      ['Description', m.description],
      ['Fitted state', m.state_bytes ? `${formatNumber(m.state_bytes)} bytes` : ''],
    ].filter(([, v]) => v);
    this.tabbed(
      [
        {
          name: 'model',
          label: 'Model',
          render: () =>
            h(
              'div.dz-model',
              null,
              h('table.dz-table.dz-metrics', null, h('tbody', null, rows.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))))),
              m.state ? h('details', null, h('summary', null, 'Fitted parameters'), h('pre.dz-json', null, JSON.stringify(m.state, null, 2).slice(0, 200000))) : null,
            ),
        },
      ],
      'model',
    );
  }

  /** openLog shows a node's log in a run. */
  async openLog(runId, nodeId) {
    this.current = { runId, nodeId, port: null };
    this.show(`${this.d.nodeLabel(nodeId)} · log`);
    try {
      const log = await api.logs(runId, nodeId);
      replace(
        this.body,
        h(
          'div.dz-log',
          { testid: 'log' },
          h('p.dz-hint', null, `Status: ${log.status}.`, log.lines.length ? '' : ' The node logged nothing.'),
          log.lines.length
            ? h(
                'table.dz-table.dz-log-lines',
                null,
                h('tbody', null, log.lines.map((l) => h('tr', { dataset: { level: l.level } }, h('td.dz-mono', null, new Date(l.time).toLocaleTimeString()), h('td', null, l.level), h('td.dz-mono', null, l.message))))
              )
            : null,
        ),
      );
    } catch (e) {
      replace(this.body, h('p.dz-error', null, e.message));
    }
  }
}

function dataTable(t) {
  return h(
    'div.dz-table-scroll',
    null,
    h(
      'table.dz-table.dz-grid',
      { testid: 'data-table' },
      h(
        'thead',
        null,
        h('tr', null, h('th.dz-rownum', null, '#'), t.columns.map((c) => h('th', { title: `${c.type}${c.categorical ? ', categorical' : ''}${c.role && c.role !== 'feature' ? `, ${c.role}` : ''}` }, c.name))),
        h('tr.dz-types', null, h('th.dz-rownum'), t.columns.map((c) => h('th', null, h('span.dz-type', { dataset: { type: c.type } }, c.type)))),
      ),
      h(
        'tbody',
        null,
        t.data.map((row, i) =>
          h(
            'tr',
            null,
            h('td.dz-rownum', null, formatNumber(t.offset + i + 1)),
            row.map((v, k) => h('td' + (v == null ? '.dz-null' : ''), { dataset: { type: t.columns[k].type } }, v == null ? 'null' : typeof v === 'number' ? formatStat(v) : String(v))),
          ),
        ),
      ),
    ),
  );
}

const STATS = [
  ['count', 'Count'],
  ['missing', 'Missing'],
  ['unique', 'Unique'],
  ['mean', 'Mean'],
  ['std', 'Std. dev.'],
  ['min', 'Min'],
  ['q1', '25%'],
  ['median', 'Median'],
  ['q3', '75%'],
  ['max', 'Max'],
  ['earliest', 'Earliest'],
  ['latest', 'Latest'],
  ['mode', 'Mode'],
];

/** statistics shows a card per column: its numbers and its histogram. */
function statistics(t) {
  return h(
    'div.dz-stats',
    { testid: 'statistics' },
    t.columns.map((c) => {
      const s = c.stats || {};
      return h(
        'article.dz-stat-card',
        { testid: 'stats-card', dataset: { column: c.name } },
        h('header', null, h('h3', null, c.name), h('span.dz-type', { dataset: { type: c.type } }, c.type), c.categorical ? h('span.dz-tag', null, 'categorical') : null),
        histogram(s.histogram || [], c.type),
        h(
          'dl',
          null,
          STATS.filter(([k]) => s[k] != null && s[k] !== '').map(([k, label]) => [
            h('dt', null, label),
            h('dd', { dataset: { stat: k } }, k === 'unique' && s.unique_capped ? `≥ ${formatStat(s[k])}` : formatStat(s[k])),
          ]),
        ),
      );
    }),
  );
}

// histogram draws the bins as an SVG bar chart (an <img> of a data URL,
// which the CSP allows and which cannot run anything).
export function histogram(bins, type) {
  if (!bins.length) return h('p.dz-hint', null, 'No values.');
  const W = 240;
  const H = 90;
  const max = Math.max(...bins.map((b) => b.count), 1);
  const bw = W / bins.length;
  const esc = (s) => String(s).replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]);
  const label = (b) => (b.lo != null && !b.label ? `${formatStat(b.lo)} – ${formatStat(b.hi)}` : b.label || '');
  const bars = bins
    .map((b, i) => {
      const bh = Math.max(b.count ? 1 : 0, (b.count / max) * (H - 14));
      return `<rect x="${(i * bw + 0.5).toFixed(1)}" y="${(H - 12 - bh).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${b.other ? '#9ca3af' : '#0072b2'}"><title>${esc(label(b))}: ${b.count}</title></rect>`;
    })
    .join('');
  const numeric = bins[0].lo != null && type !== 'string' && type !== 'bool';
  const left = numeric ? formatStat(bins[0].lo) : '';
  const right = numeric ? formatStat(bins[bins.length - 1].hi) : '';
  const axis = `<line x1="0" y1="${H - 12}" x2="${W}" y2="${H - 12}" stroke="#9ca3af"/><text x="0" y="${H - 1}" font-size="9" fill="#6b7280" font-family="sans-serif">${esc(left)}</text><text x="${W}" y="${H - 1}" font-size="9" fill="#6b7280" text-anchor="end" font-family="sans-serif">${esc(right)}</text>`;
  const src = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${bars}${axis}</svg>`;
  return h('img.dz-hist', { alt: `histogram of ${bins.length} bins`, src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(src)}` });
}
