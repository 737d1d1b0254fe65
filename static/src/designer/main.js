// Entry of the designer bundle (dist/designer.js): starts the designer on
// the page's #designer element, which the server rendered with the
// workflow's id and the palette.
import { Designer } from './app.js';

function boot() {
  const root = document.getElementById('designer');
  if (!root) return;
  const d = new Designer(root);
  d.start().catch((e) => {
    root.dataset.ready = 'error';
    const msg = document.createElement('p');
    msg.className = 'dz-fatal';
    msg.setAttribute('role', 'alert');
    msg.dataset.testid = 'designer-error';
    msg.textContent = `The designer could not start: ${e.message}`;
    root.prepend(msg);
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
