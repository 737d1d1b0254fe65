// Column pickers. Both list the columns the upstream schema will have, as
// /api/v1/validate infers it before anything runs: a single-column picker
// (a select), and a column-set picker that edits a ColumnSelector — include
// and exclude rules by names, types, roles, "categorical" or "all" — and
// shows which columns the rules select.
import { h, replace } from './dom.js';

const TYPES = ['numeric', 'int', 'float', 'string', 'bool', 'timestamp'];
const ROLES = ['feature', 'label', 'score', 'ignore'];

/** toRules turns any JSON form of a selector into a list of rules. */
export function toRules(v) {
  if (v == null || v === '') return [];
  if (typeof v === 'string') {
    return [{ names: v.split(',').map((s) => s.trim()).filter(Boolean) }];
  }
  if (Array.isArray(v)) return [{ names: v.map(String) }];
  if (typeof v === 'object' && Array.isArray(v.rules)) return v.rules.map((r) => ({ ...r }));
  return [];
}

/** fromRules writes rules back, as a plain list of names when that is all they say. */
export function fromRules(rules) {
  // A names rule with no names yet matches nothing: leave it out.
  rules = rules.filter((r) => ruleBy(r) !== 'names' || (r.names || []).length);
  if (rules.length === 0) return undefined;
  if (rules.length === 1 && !rules[0].exclude && ruleBy(rules[0]) === 'names') return [...(rules[0].names || [])];
  return { rules: rules.map(cleanRule) };
}

function cleanRule(r) {
  const out = {};
  if (r.exclude) out.exclude = true;
  switch (ruleBy(r)) {
    case 'all':
      out.all = true;
      break;
    case 'types':
      out.types = r.types || [];
      break;
    case 'roles':
      out.roles = r.roles || [];
      break;
    case 'categorical':
      out.categorical = true;
      break;
    default:
      out.names = r.names || [];
  }
  return out;
}

export function ruleBy(r) {
  if (r.all) return 'all';
  if (r.types && r.types.length) return 'types';
  if (r.roles && r.roles.length) return 'roles';
  if (r.categorical) return 'categorical';
  if (r.by) return r.by;
  return 'names';
}

function isNumeric(t) {
  return t === 'int' || t === 'float';
}

function matches(r, f) {
  if (r.all) return true;
  if ((r.types || []).some((t) => t === f.type || (t === 'numeric' && isNumeric(f.type)))) return true;
  if ((r.roles || []).includes(f.role || 'feature')) return true;
  return !!(r.categorical && f.categorical);
}

/**
 * resolve applies rules to a schema as the server does: {names, missing}.
 * Named columns come in the order named, others in schema order.
 */
export function resolve(rules, schema) {
  let sel = [];
  const missing = [];
  if (rules.length && rules[0].exclude) sel = schema.map((_, i) => i);
  for (const r of rules) {
    const match = [];
    for (const n of r.names || []) {
      const i = schema.findIndex((f) => f.name === n);
      if (i < 0) missing.push(n);
      else match.push(i);
    }
    schema.forEach((f, i) => {
      if (matches(r, f) && !match.includes(i)) match.push(i);
    });
    if (r.exclude) sel = sel.filter((i) => !match.includes(i));
    else for (const i of match) if (!sel.includes(i)) sel.push(i);
  }
  return { names: sel.map((i) => schema[i].name), missing };
}

/**
 * columnPicker is the widget of a "column" parameter: a select of the
 * input's columns, or a text box while the columns are not known.
 */
export function columnPicker({ id, value, schema, onChange, testid }) {
  if (!schema) {
    return h('input', {
      id,
      type: 'text',
      value: value || '',
      placeholder: 'connect the input to list its columns',
      testid,
      onchange: (e) => onChange(e.target.value.trim() || undefined),
    });
  }
  const known = schema.some((f) => f.name === value);
  return h(
    'select',
    { id, testid, onchange: (e) => onChange(e.target.value || undefined) },
    h('option', { value: '' }, '(choose a column)'),
    schema.map((f) => h('option', { value: f.name, selected: f.name === value }, `${f.name} — ${f.type}`)),
    value && !known ? h('option', { value, selected: true }, `${value} — not in the input`) : null,
  );
}

/**
 * columnSetPicker is the widget of a "columns" parameter. value is the
 * parameter's JSON value (undefined shows the default); onChange gets the
 * new value.
 */
export function columnSetPicker({ id, value, fallback, schema, onChange, testid }) {
  let usingDefault = value === undefined;
  const rules = toRules(usingDefault ? fallback : value);
  // Start with a list of the columns to tick.
  if (!rules.length) rules.push({ by: 'names', names: [] });
  const root = h('div.dz-colset', { id, testid, role: 'group' });
  const commit = () => {
    usingDefault = false;
    onChange(fromRules(rules));
  };

  const draw = () => {
    const cols = schema || [];
    const ruleEls = rules.map((r, k) => {
      const by = ruleBy(r);
      const head = h(
        'div.dz-rule-head',
        null,
        h(
          'select',
          {
            'aria-label': 'include or exclude',
            onchange: (e) => {
              r.exclude = e.target.value === 'exclude';
              commit();
              draw();
            },
          },
          h('option', { value: 'include', selected: !r.exclude }, 'Include'),
          h('option', { value: 'exclude', selected: !!r.exclude }, 'Exclude'),
        ),
        h(
          'select',
          {
            'aria-label': 'rule kind',
            onchange: (e) => {
              rules[k] = { exclude: r.exclude, by: e.target.value };
              if (e.target.value === 'all') rules[k].all = true;
              if (e.target.value === 'categorical') rules[k].categorical = true;
              if (e.target.value === 'names') rules[k].names = [];
              commit();
              draw();
            },
          },
          [
            ['names', 'column names'],
            ['types', 'column types'],
            ['roles', 'column roles'],
            ['categorical', 'categorical columns'],
            ['all', 'all columns'],
          ].map(([v, l]) => h('option', { value: v, selected: by === v }, l)),
        ),
        h(
          'button.dz-icon',
          {
            type: 'button',
            title: 'Remove this rule',
            'aria-label': 'remove rule',
            onclick: () => {
              rules.splice(k, 1);
              commit();
              draw();
            },
          },
          '×',
        ),
      );
      let body = null;
      const toggle = (list, item, on) => (on ? [...new Set([...(list || []), item])] : (list || []).filter((x) => x !== item));
      if (by === 'names') {
        const names = r.names || [];
        const options = [...cols.map((f) => ({ name: f.name, type: f.type })), ...names.filter((n) => !cols.some((f) => f.name === n)).map((n) => ({ name: n, missing: true }))];
        body = options.length
          ? h(
              'div.dz-checklist',
              null,
              options.map((f) =>
                h(
                  'label' + (f.missing ? '.dz-missing' : ''),
                  null,
                  h('input', {
                    type: 'checkbox',
                    checked: names.includes(f.name),
                    testid: `col-${f.name}`,
                    onchange: (e) => {
                      const on = e.target.checked;
                      // Keep the analyst's order: a column checked goes last.
                      r.names = on ? [...names.filter((n) => n !== f.name), f.name] : names.filter((n) => n !== f.name);
                      commit();
                      draw();
                    },
                  }),
                  ` ${f.name} `,
                  h('small', null, f.missing ? 'not in the input' : f.type),
                ),
              ),
            )
          : h('p.dz-hint', null, 'Connect the input to list its columns.');
      } else if (by === 'types' || by === 'roles') {
        const all = by === 'types' ? TYPES : ROLES;
        body = h(
          'div.dz-checklist.dz-inline',
          null,
          all.map((t) =>
            h(
              'label',
              null,
              h('input', {
                type: 'checkbox',
                checked: (r[by] || []).includes(t),
                onchange: (e) => {
                  r[by] = toggle(r[by], t, e.target.checked);
                  commit();
                  draw();
                },
              }),
              ` ${t}`,
            ),
          ),
        );
      }
      return h('div.dz-rule', { dataset: { rule: String(k) } }, head, body);
    });
    const { names, missing } = resolve(rules, cols);
    replace(
      root,
      usingDefault && fallback ? h('p.dz-hint', null, 'Default rules; change them to set your own.') : null,
      ruleEls,
      h(
        'button.dz-link',
        {
          type: 'button',
          onclick: () => {
            rules.push({ by: 'names', names: [] });
            commit();
            draw();
          },
        },
        '+ Add rule',
      ),
      schema
        ? h(
            'p.dz-colset-summary',
            { testid: `${testid}-summary` },
            names.length ? `Selected ${names.length} of ${cols.length}: ${names.join(', ')}` : 'No column selected',
            missing.length ? h('span.dz-error', null, ` — not in the input: ${missing.join(', ')}`) : null,
          )
        : null,
    );
  };
  draw();
  return root;
}
