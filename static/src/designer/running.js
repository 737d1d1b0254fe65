// Running: start a run of the whole workflow or up to the selected node,
// follow it live through the run's server-sent events (queued, running with
// progress, done with rows and duration, cached, failed with the message,
// skipped), cancel it, and mark a node's outputs outdated when an edit to
// it or upstream of it means a run would now give something else.
import { api } from './api.js';

export class Running {
  constructor(designer) {
    this.d = designer;
    this.status = new Map(); // node id → {status, progress, rows, duration_ms, error, runId, stale}
    this.run = null; // the run shown: {id, status, revision}
    this.source = null;
    this.runPrints = null; // fingerprints of the nodes as the shown run ran them
  }

  statusOf(id) {
    return this.status.get(id);
  }

  /** outputRun returns the id of the run whose outputs of the node can be looked at. */
  outputRun(id) {
    const st = this.status.get(id);
    return st && (st.status === 'succeeded' || st.status === 'cached') ? st.runId : null;
  }

  downloadURL(runId, node, port) {
    return api.download(runId, node, port);
  }

  active() {
    return this.run && !isDone(this.run.status);
  }

  /** start saves pending edits, then runs the workflow, or up to a node. */
  async start(upTo) {
    const d = this.d;
    if (this.active()) {
      d.toast('A run is already going; cancel it or wait for it to end.');
      return;
    }
    if (!(await d.saver.flush())) {
      d.toast('Save the workflow before running it (see the message about saving).', 'error');
      return;
    }
    d.status.run(upTo ? `Starting run up to ${d.nodeLabel(upTo)}…` : 'Starting run…', 'pending');
    let run;
    try {
      run = await api.startRun(d.id, upTo ? { up_to: upTo } : {});
    } catch (e) {
      d.status.run('Run refused', 'error');
      d.toast(`The run was refused: ${e.message}`, 'error');
      return;
    }
    // Nodes not in this run keep what they showed.
    this.follow(run, d.document());
  }

  /** follow shows a run's state and, while it goes on, its events. */
  follow(run, doc) {
    this.close();
    this.run = { id: run.id, status: run.status, revision: run.revision };
    this.runPrints = fingerprints(doc);
    for (const n of run.nodes || []) this.apply(n, run.id);
    this.d.toolbar.running(this.active());
    this.describe(run);
    if (!isDone(run.status)) this.listen(run.id);
    this.markStale();
  }

  listen(runId) {
    const es = new EventSource(api.events(runId));
    this.source = es;
    es.addEventListener('node', (ev) => {
      if (!this.run || this.run.id !== runId) return;
      this.apply(JSON.parse(ev.data), runId);
    });
    es.addEventListener('run', (ev) => {
      const r = JSON.parse(ev.data);
      if (!this.run || this.run.id !== runId) return;
      this.run.status = r.status;
      for (const n of r.nodes || []) this.apply(n, runId);
      this.describe(r);
      if (isDone(r.status)) {
        this.close();
        this.d.toolbar.running(false);
        this.d.props.update();
      }
    });
    es.onerror = () => {
      // The browser reconnects by itself (sending Last-Event-ID); when it
      // has given up, ask for the state instead.
      if (es.readyState === EventSource.CLOSED && this.source === es) {
        this.source = null;
        api.run(runId).then((r) => this.follow(r, this.d.document())).catch(() => {});
      }
    };
  }

  close() {
    if (this.source) {
      this.source.close();
      this.source = null;
    }
  }

  apply(n, runId) {
    const prev = this.status.get(n.node);
    const st = {
      status: n.status,
      progress: n.progress || 0,
      rows: n.rows || 0,
      duration_ms: n.duration_ms,
      error: n.error || '',
      runId,
      stale: false,
    };
    this.status.set(n.node, st);
    this.d.showStatus(n.node, st);
    if (n.node === this.d.props.nodeId && (!prev || prev.status !== st.status || st.status !== 'running')) this.d.props.update();
  }

  describe(r) {
    const nodes = r.nodes || [];
    const count = (s) => nodes.filter((n) => n.status === s).length;
    const done = nodes.filter((n) => isDone(n.status)).length;
    let text;
    switch (r.status) {
      case 'queued':
      case 'running':
        text = `Running… ${done}/${nodes.length || '?'} nodes done`;
        break;
      case 'succeeded':
        text = `Run finished: ${count('succeeded')} ran, ${count('cached')} from cache${count('skipped') ? `, ${count('skipped')} skipped` : ''} in ${((r.duration_ms || 0) / 1000).toFixed(1)} s`;
        break;
      case 'failed':
        text = `Run failed: ${count('failed')} node${count('failed') === 1 ? '' : 's'} failed${r.error ? ` (${r.error})` : ''}`;
        break;
      case 'canceled':
        text = 'Run canceled';
        break;
      default:
        text = `Run ${r.status}`;
    }
    this.d.status.run(text, r.status === 'failed' ? 'error' : isDone(r.status) ? 'ok' : 'pending');
  }

  async cancel() {
    if (!this.active()) return;
    const run = this.run;
    try {
      await api.cancelRun(run.id);
      // The run's end may have arrived (by its events) before this answer:
      // then the status bar already says how it ended.
      if (this.run === run && this.active()) this.d.status.run('Canceling…', 'pending');
    } catch (e) {
      this.d.toast(`Could not cancel: ${e.message}`, 'error');
    }
  }

  /** restore shows the latest run of the workflow when the designer opens. */
  async restore() {
    try {
      const runs = await api.runs(this.d.id);
      if (!runs || !runs.length) return;
      const run = await api.run(runs[0].id);
      let doc = this.d.document();
      if (run.revision !== this.d.revision) {
        const rev = await api.revision(this.d.id, run.revision);
        doc = rev.document;
      }
      this.follow(run, doc);
    } catch {
      // No run to show.
    }
  }

  /** markStale marks nodes whose last results no longer match the workflow. */
  markStale() {
    if (!this.runPrints) return;
    const now = fingerprints(this.d.document());
    for (const [id, st] of this.status) {
      const stale = !isDoneOK(st.status) ? false : now.get(id) !== this.runPrints.get(id);
      if (stale !== st.stale) {
        st.stale = stale;
        this.d.showStatus(id, st);
        if (id === this.d.props.nodeId) this.d.props.update();
      }
    }
  }
}

function isDone(s) {
  return s === 'succeeded' || s === 'failed' || s === 'canceled' || s === 'cached' || s === 'skipped';
}

function isDoneOK(s) {
  return s === 'succeeded' || s === 'cached';
}

/**
 * fingerprints gives each node a hash of what decides its outputs: its
 * module, version and parameters, the workflow parameters, and the
 * fingerprints of what feeds its inputs. Equal fingerprints, equal results.
 */
export function fingerprints(doc) {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const inputs = new Map();
  for (const e of doc.edges) {
    if (!inputs.has(e.to.node)) inputs.set(e.to.node, []);
    inputs.get(e.to.node).push(e);
  }
  const wparams = hash(stable(doc.parameters || []));
  const memo = new Map();
  const visiting = new Set();
  const fp = (id) => {
    if (memo.has(id)) return memo.get(id);
    const n = byId.get(id);
    if (!n || visiting.has(id)) return 'missing';
    visiting.add(id);
    const ins = (inputs.get(id) || [])
      .map((e) => `${e.to.port}<${fp(e.from.node)}.${e.from.port}`)
      .sort()
      .join('|');
    const v = hash(`${n.module}@${n.version}|${stable(n.params || {})}|${wparams}|${ins}`);
    visiting.delete(id);
    memo.set(id, v);
    return v;
  };
  for (const n of doc.nodes) fp(n.id);
  return memo;
}

// stable writes JSON with sorted keys.
function stable(v) {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

// hash is FNV-1a (32 bits) in hex: enough to tell edits apart.
function hash(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
