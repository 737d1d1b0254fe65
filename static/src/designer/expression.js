// The expression editor: a monospace text area that is checked as you type
// (the edit goes into the workflow, whose validation compiles the
// expression against the inferred schema) and points at the error's line
// and column; the input's columns are listed and insert on click.
import { h, replace } from './dom.js';

/** errorPosition finds "line L, column C" in a problem message. */
export function errorPosition(message) {
  const m = /line (\d+), column (\d+)/i.exec(message || '');
  return m ? { line: parseInt(m[1], 10), column: parseInt(m[2], 10) } : null;
}

export class ExpressionEditor {
  /**
   * @param {object} o — id, value, testid, onInput(value) (called as you type),
   *   workflowParams (names usable as $name)
   */
  constructor(o) {
    this.o = o;
    this.area = h('textarea.dz-expr-text', {
      id: o.id,
      rows: 3,
      spellcheck: false,
      autocomplete: 'off',
      testid: o.testid,
      value: o.value || '',
      placeholder: 'e.g. annual_income > 40000 && purpose != "other"',
      oninput: () => o.onInput(this.area.value),
    });
    this.columns = h('div.dz-expr-columns');
    this.error = h('div.dz-expr-error', { testid: `${o.testid}-error`, role: 'alert', hidden: true });
    this.el = h('div.dz-expr', null, this.area, this.error, this.columns);
  }

  /** update shows the problem (or none) and the columns of the input. */
  update(problem, schema) {
    if (problem) {
      const pos = errorPosition(problem.message);
      const children = [h('span.dz-error-text', null, problem.message)];
      if (pos) {
        const line = (this.area.value.split('\n')[pos.line - 1] || '').replace(/\t/g, ' ');
        children.push(h('pre.dz-expr-caret', null, `${line}\n${' '.repeat(Math.max(0, pos.column - 1))}^`));
        children.push(
          h(
            'button.dz-link',
            { type: 'button', onclick: () => this.focusAt(pos) },
            `Go to line ${pos.line}, column ${pos.column}`,
          ),
        );
      }
      replace(this.error, children);
      this.error.hidden = false;
      this.area.setAttribute('aria-invalid', 'true');
    } else {
      this.error.hidden = true;
      replace(this.error);
      this.area.removeAttribute('aria-invalid');
    }
    const key = schema ? schema.map((f) => f.name).join('\u0000') : '';
    if (key !== this.key) {
      this.key = key;
      replace(
        this.columns,
        schema && schema.length
          ? [
              h('span.dz-hint', null, 'Columns: '),
              schema.map((f) =>
                h(
                  'button.dz-chip',
                  { type: 'button', title: `${f.type} — click to insert`, onclick: () => this.insert(ident(f.name)) },
                  f.name,
                ),
              ),
            ]
          : null,
      );
    }
  }

  insert(text) {
    const a = this.area;
    const s = a.selectionStart ?? a.value.length;
    const e = a.selectionEnd ?? a.value.length;
    a.value = a.value.slice(0, s) + text + a.value.slice(e);
    a.focus();
    a.setSelectionRange(s + text.length, s + text.length);
    this.o.onInput(a.value);
  }

  focusAt({ line, column }) {
    const lines = this.area.value.split('\n');
    let off = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i].length + 1;
    off += Math.max(0, column - 1);
    this.area.focus();
    this.area.setSelectionRange(off, Math.min(off + 1, this.area.value.length));
  }
}

// ident spells a column name in an expression: $env["name"] when it is not a plain identifier.
function ident(name) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `$env[${JSON.stringify(name)}]`;
}
