// Saving: every edit is saved, shortly after it is made, as a new revision
// with If-Match naming the revision it was made on. A save refused because
// someone saved in between (409) stops autosave and asks the analyst to
// reload the latest revision or to save this version as a copy — never a
// silent overwrite. Revisions are listed and can be restored.
import { api, etagRevision } from './api.js';
import { h, replace, debounce, relativeTime } from './dom.js';

export class Saver {
  constructor(designer) {
    this.d = designer;
    this.saving = null; // the promise of the save in flight
    this.again = false;
    this.dirty = false;
    this.conflict = null;
    this.lastSaved = null;
    this.later = debounce(() => this.save(), 700);
    this.dialog = null;
    window.addEventListener('beforeunload', (e) => {
      // A pending save is sent on the way out; an edit that cannot be
      // saved (a conflict) asks before it is lost.
      if (this.dirty && !this.conflict) this.later.flush();
      if (this.dirty && this.conflict) {
        e.preventDefault();
        e.returnValue = '';
      }
    });
  }

  /** changed notes an edit to save. */
  changed() {
    if (!this.d.editable) return;
    this.dirty = true;
    this.d.status.save('Unsaved changes…', 'pending');
    this.later();
  }

  /** flush saves now what is pending and resolves when saved (false on failure). */
  async flush() {
    this.later.cancel();
    if (this.saving) await this.saving;
    if (this.dirty && !this.conflict) await this.save();
    return !this.dirty && !this.conflict;
  }

  save() {
    if (this.conflict || !this.d.editable) return Promise.resolve();
    if (this.saving) {
      this.again = true;
      return this.saving;
    }
    this.saving = this.doSave().finally(() => {
      this.saving = null;
      if (this.again) {
        this.again = false;
        if (this.dirty) this.later();
      }
    });
    return this.saving;
  }

  async doSave() {
    const doc = this.d.document();
    this.dirty = false;
    this.d.status.save('Saving…', 'pending');
    try {
      const { data, etag } = await api.save(this.d.id, doc, this.d.revision);
      this.d.revision = etagRevision(etag) || data.revision;
      this.lastSaved = new Date();
      this.d.status.save(`Saved · revision ${this.d.revision}`, 'ok');
      this.d.onSaved();
    } catch (e) {
      this.dirty = true;
      if (e.status === 409) {
        this.conflict = e;
        this.d.status.save('Not saved: changed elsewhere', 'error');
        this.showConflict(e);
        return;
      }
      this.d.status.save(`Not saved: ${e.message}`, 'error');
      // A network hiccup or a server restart: try again a little later.
      if (!e.status || e.status >= 500) setTimeout(() => this.dirty && this.later(), 3000);
    }
  }

  showConflict(err) {
    const latest = etagRevision(err.etag);
    if (this.dialog) this.dialog.remove();
    const dlg = h(
      'dialog.dz-dialog.dz-conflict',
      { testid: 'conflict-dialog', 'aria-labelledby': 'conflict-title' },
      h('h2', { id: 'conflict-title' }, 'This workflow was changed in another tab or by someone else'),
      h('p', { testid: 'conflict-message' }, err.message),
      h(
        'p',
        null,
        `Your last edit was not saved${latest ? ` (the latest revision is ${latest})` : ''}. Reload to continue from the latest revision, or save your version as a new workflow.`,
      ),
      h(
        'div.dz-actions',
        null,
        h('button.dz-primary', { type: 'button', testid: 'conflict-reload', onclick: () => this.reload() }, 'Reload'),
        h('button', { type: 'button', testid: 'conflict-fork', onclick: () => this.fork() }, 'Save as a copy (fork)'),
      ),
    );
    dlg.addEventListener('cancel', (e) => e.preventDefault());
    document.body.append(dlg);
    this.dialog = dlg;
    dlg.showModal();
  }

  closeDialog() {
    if (this.dialog) {
      this.dialog.close();
      this.dialog.remove();
      this.dialog = null;
    }
  }

  /** reload drops the unsaved edit and loads the latest revision. */
  async reload() {
    this.closeDialog();
    this.conflict = null;
    this.dirty = false;
    await this.d.reload();
    this.d.status.save(`Reloaded · revision ${this.d.revision}`, 'ok');
  }

  /** fork saves this version as a new workflow and opens it. */
  async fork() {
    const doc = this.d.document();
    doc.name = `${doc.name} (copy)`.slice(0, 200);
    try {
      const { data } = await api.create(doc);
      this.dirty = false;
      this.conflict = null;
      window.location.assign(`/workflows/${encodeURIComponent(data.id)}`);
    } catch (e) {
      const p = this.dialog && this.dialog.querySelector('[data-testid=conflict-message]');
      if (p) p.textContent = `The copy could not be saved: ${e.message}`;
    }
  }

  /** showRevisions opens the revision history with restore buttons. */
  async showRevisions(anchor) {
    const panel = this.d.root.querySelector('.dz-revisions') || h('div.dz-popover.dz-revisions', { testid: 'revisions', role: 'dialog', 'aria-label': 'Revision history' });
    if (!panel.isConnected) this.d.root.append(panel);
    if (!panel.hidden && panel.dataset.open === '1') {
      panel.hidden = true;
      panel.dataset.open = '0';
      return;
    }
    panel.hidden = false;
    panel.dataset.open = '1';
    if (anchor) {
      const r = anchor.getBoundingClientRect();
      const root = this.d.root.getBoundingClientRect();
      panel.dataset.left = String(Math.round(r.left - root.left));
    }
    replace(panel, h('p.dz-hint', null, 'Loading revisions…'));
    try {
      const revs = await api.revisions(this.d.id);
      revs.sort((a, b) => b.number - a.number);
      replace(
        panel,
        h('div.dz-popover-head', null, h('h2', null, 'Revision history'), h('button.dz-icon', { type: 'button', 'aria-label': 'close', onclick: () => ((panel.hidden = true), (panel.dataset.open = '0')) }, '×')),
        h(
          'ol.dz-rev-list',
          null,
          revs.map((r) =>
            h(
              'li',
              { dataset: { revision: String(r.number) } },
              h('strong', null, `Revision ${r.number}`),
              r.number === this.d.revision ? h('span.dz-tag', null, 'current') : null,
              h('span.dz-hint', null, ` ${r.author} · ${relativeTime(r.saved)}`),
              r.number !== this.d.revision && this.d.editable
                ? h('button.dz-small', { type: 'button', testid: `restore-${r.number}`, onclick: () => this.restore(r.number, panel) }, 'Restore')
                : null,
            ),
          ),
        ),
      );
    } catch (e) {
      replace(panel, h('p.dz-error', null, `Could not list revisions: ${e.message}`));
    }
  }

  /** restore makes an old revision's document the next revision. */
  async restore(n, panel) {
    if (!(await this.flush()) && this.conflict) return;
    const rev = await api.revision(this.d.id, n);
    this.d.loadDocument(rev.document, { undoable: true });
    panel.hidden = true;
    panel.dataset.open = '0';
    this.changed();
    await this.flush();
    this.d.status.save(`Restored revision ${n} as revision ${this.d.revision}`, 'ok');
  }
}
