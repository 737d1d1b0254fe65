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
        { name: 'statistics', label: 'Statistics', render: () => statistics(runId, nodeId, port) },
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
    this.tabbed([{ name: 'report', label: r.title || 'Report', render: () => reportBody(r, 'report') }], 'report');
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
    const tabs = [];
    // What the model learnt (weights, trees) comes first when it can say.
    if (m.summary) tabs.push({ name: 'summary', label: 'Summary', render: () => reportBody(m.summary, 'model-summary') });
    tabs.push({
      name: 'model',
      label: 'Model',
      render: () =>
        h(
          'div.dz-model',
          null,
          h('table.dz-table.dz-metrics', null, h('tbody', null, rows.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))))),
          m.state ? h('details', null, h('summary', null, 'Fitted parameters'), h('pre.dz-json', null, JSON.stringify(m.state, null, 2).slice(0, 200000))) : null,
        ),
    });
    this.tabbed(tabs, tabs[0].name);
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

/**
 * statistics shows a card per column with its numbers and its histogram or
 * bar chart, as the server renders them (the same cards as the dataset
 * page, with the charts drawn as SVG there).
 */
function statistics(runId, nodeId, port) {
  const box = h('div.dz-stats-box', { testid: 'statistics' }, h('p.dz-hint', null, 'Computing statistics…'));
  const url = `/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(nodeId)}/outputs/${encodeURIComponent(port)}/statistics`;
  fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
    .then(async (res) => {
      if (res.redirected) throw new Error('the session has ended; log in again');
      if (!res.ok) throw new Error(`the server answered ${res.status}`);
      // Our own server's HTML, rendered by templ with everything escaped.
      const t = document.createElement('template');
      t.innerHTML = await res.text();
      replace(box, t.content);
    })
    .catch((e) => replace(box, h('p.dz-error', null, `Could not load the statistics: ${e.message}`)));
  return box;
}

/** reportBody renders a report's sections: metrics, charts and tables. */
function reportBody(r, testid) {
  return h(
    'div.dz-report',
    { testid },
    (r.sections || []).map((s) =>
      h(
        // A table of many columns takes the panel's whole width.
        s.table && s.table.columns.length > 3 ? 'section.dz-report-section.dz-wide' : 'section.dz-report-section',
        null,
        s.title ? h('h3', null, s.title) : null,
        s.metrics && s.metrics.length
          ? h(
              'table.dz-table.dz-metrics',
              null,
              h('tbody', null, s.metrics.map((m) => h('tr', { dataset: { metric: m.name }, title: m.help || null }, h('th', null, m.name), h('td', null, formatStat(m.value))))),
            )
          : null,
        s.svg ? h('img.dz-report-chart', { alt: s.title || 'chart', src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(s.svg)}` }) : null,
        s.table ? dataTable(s.table) : null,
      ),
    ),
  );
}
