// The actor tree: every actor under the one that started it, each row showing its machine,
// its id and the state it is in. Rows carry data-sid, data-machine, data-state and
// data-status, which the browser test reads.
import { valueText } from './chart.js';

const sessionLike = /^x:\d+$/;

/** A short name for an actor: its machine (or what it runs) and its id when that says more. */
export function actorName(view) {
  if (!view.machine) return view.src ?? String(view.id);
  const kind = view.machine;
  const id = String(view.id);
  return id === kind || sessionLike.test(id) ? kind : `${kind} · ${id}`;
}

/** A stable colour per actor, so its rows in the event stream match its row in the tree. */
export function actorHue(sid) {
  let h = 0;
  for (let i = 0; i < sid.length; i++) h = (h * 31 + sid.charCodeAt(i)) >>> 0;
  return (h * 137) % 360;
}

export function createTree(root, { onSelect, showEnded }) {
  const rows = new Map();
  let selected = null;

  function row(actor) {
    const { view } = actor;
    const li = document.createElement('li');
    const div = document.createElement('div');
    div.className = `row${view.machine ? '' : ' helper'}`;
    div.dataset.sid = view.sid;
    if (view.machine) div.dataset.machine = view.machine;
    div.tabIndex = 0;
    div.style.setProperty('--hue', String(actorHue(view.sid)));
    const dot = document.createElement('span');
    dot.className = 'dot';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = view.machine ? actorName(view) : `⚙ ${actorName(view)}`;
    const stateText = document.createElement('span');
    stateText.className = 'state';
    div.append(dot, name, stateText);
    div.addEventListener('click', () => onSelect(view.sid));
    div.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') onSelect(view.sid);
    });
    li.appendChild(div);
    rows.set(view.sid, div);
    update(actor);
    return li;
  }

  function update(actor) {
    const div = rows.get(actor.view.sid);
    if (!div) return;
    const text = valueText(actor.shown.value);
    if (div.dataset.state !== text) {
      div.dataset.state = text;
      div.querySelector('.state').textContent = text;
      div.querySelector('.state').title = text;
    }
    div.dataset.status = actor.shown.status;
    div.classList.toggle('selected', actor.view.sid === selected);
  }

  function render(actors) {
    rows.clear();
    const children = new Map();
    const visible = [...actors.values()].filter(
      (a) => a.view.status === 'active' || (a.view.machine && showEnded()),
    );
    const known = new Set(visible.map((a) => a.view.sid));
    for (const actor of visible) {
      const parent = known.has(actor.view.parent) ? actor.view.parent : '';
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(actor);
    }
    const build = (parent) => {
      const ul = document.createElement('ul');
      for (const actor of children.get(parent) ?? []) {
        const li = row(actor);
        if (children.has(actor.view.sid)) li.appendChild(build(actor.view.sid));
        ul.appendChild(li);
      }
      return ul;
    };
    root.replaceChildren(...build('').children);
    document.getElementById('tree-empty').hidden = visible.length > 0;
  }

  return {
    render,
    update,
    setSelected(sid) {
      selected = sid;
      for (const [key, div] of rows) div.classList.toggle('selected', key === sid);
    },
  };
}
