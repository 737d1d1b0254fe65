// The JSON API as the designer calls it: same-origin requests with the
// session cookie, the CSRF token from the layout's <meta name="csrf-token">
// on every change, and one error type carrying the server's error body.

const base = '/api/v1';

/** ApiError is a refused request: status, code, message and field from the server. */
export class ApiError extends Error {
  constructor(status, body, headers) {
    const e = (body && body.error) || {};
    super(e.message || `request failed with status ${status}`);
    this.status = status;
    this.code = e.code || '';
    this.field = e.field || '';
    this.etag = headers ? headers.get('ETag') : null;
  }
}

function csrfToken() {
  const m = document.querySelector('meta[name="csrf-token"]');
  return m ? m.getAttribute('content') : '';
}

/**
 * request sends a JSON request and returns {data, etag}. Bodies are
 * encoded as JSON unless they are strings (sent as they are).
 */
export async function request(method, path, { body, headers = {}, signal } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (method !== 'GET' && method !== 'HEAD') {
    const tok = csrfToken();
    if (tok) h['X-CSRF-Token'] = tok;
  }
  let payload;
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(base + path, { method, headers: h, body: payload, credentials: 'same-origin', signal });
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) throw new ApiError(res.status, data, res.headers);
  return { data, etag: res.headers.get('ETag') };
}

/** etagRevision reads the revision number from an ETag such as "12". */
export function etagRevision(etag) {
  if (!etag) return 0;
  const n = parseInt(etag.replace(/^W\//, '').replace(/"/g, ''), 10);
  return Number.isFinite(n) ? n : 0;
}

export const api = {
  modules: () => request('GET', '/modules').then((r) => r.data),
  module: (id, version) => request('GET', `/modules/${encodeURIComponent(id)}?version=${encodeURIComponent(version)}`).then((r) => r.data),
  workflow: (id) => request('GET', `/workflows/${encodeURIComponent(id)}`),
  save: (id, doc, revision) =>
    request('PUT', `/workflows/${encodeURIComponent(id)}`, { body: doc, headers: { 'If-Match': `"${revision}"` } }),
  create: (doc) => request('POST', '/workflows', { body: doc }),
  validate: (doc, signal) => request('POST', '/validate', { body: doc, signal }).then((r) => r.data),
  revisions: (id) => request('GET', `/workflows/${encodeURIComponent(id)}/revisions`).then((r) => r.data),
  revision: (id, n) => request('GET', `/workflows/${encodeURIComponent(id)}/revisions/${n}`).then((r) => r.data),
  runs: (id) => request('GET', `/workflows/${encodeURIComponent(id)}/runs?limit=20`).then((r) => r.data),
  startRun: (id, body) => request('POST', `/workflows/${encodeURIComponent(id)}/runs`, { body }).then((r) => r.data),
  run: (runId) => request('GET', `/runs/${encodeURIComponent(runId)}`).then((r) => r.data),
  cancelRun: (runId) => request('POST', `/runs/${encodeURIComponent(runId)}/cancel`).then((r) => r.data),
  logs: (runId, node) =>
    request('GET', `/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(node)}/logs`).then((r) => r.data),
  output: (runId, node, port, offset = 0, limit = 100) =>
    request(
      'GET',
      `/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(node)}/outputs/${encodeURIComponent(port)}?offset=${offset}&limit=${limit}`,
    ).then((r) => r.data),
  events: (runId) => `${base}/runs/${encodeURIComponent(runId)}/events`,
  download: (runId, node, port) =>
    `${base}/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(node)}/outputs/${encodeURIComponent(port)}/download`,
};
