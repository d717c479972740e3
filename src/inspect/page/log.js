// The event stream: every event an actor received (redacted on the server), filterable by
// actor (all, the selected one, or it and its children) and by event type (a text filter and
// chips that hide or show a type). Bounded: it keeps the last MAX_KEPT entries and draws the
// last MAX_ROWS that pass the filters, at most once per animation frame.
import { valueText } from './chart.js';
import { actorHue, actorName } from './tree.js';

const MAX_KEPT = 4000;
const MAX_ROWS = 300;
const MAX_CHIPS = 24;

const seconds = (t) => `${(t / 1000).toFixed(3)} s`;

function compact(data) {
  const text = JSON.stringify(data);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

export function createEventLog({ list, chips, scope, filter, pause, actors, selected, onSelect }) {
  let entries = [];
  let lastN = 0;
  let received = 0;
  let paused = false;
  let scheduled = false;
  const counts = new Map();
  const hidden = new Set();

  const terms = () =>
    filter.value
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean);

  function inScope(sid) {
    const mode = scope.value;
    const chosen = selected();
    if (mode === 'all' || !chosen) return true;
    if (sid === chosen) return true;
    if (mode !== 'subtree') return false;
    for (let actor = actors.get(sid); actor; actor = actors.get(actor.view.parent))
      if (actor.view.parent === chosen) return true;
    return false;
  }

  function typeShown(type, words) {
    if (hidden.has(type)) return false;
    const lower = type.toLowerCase();
    const include = words.filter((w) => !w.startsWith('-'));
    const exclude = words.filter((w) => w.startsWith('-')).map((w) => w.slice(1));
    if (exclude.some((w) => w && lower.includes(w))) return false;
    return include.length === 0 || include.some((w) => lower.includes(w));
  }

  function rowFor(entry) {
    const li = document.createElement('li');
    const actor = actors.get(entry.sid);
    li.dataset.sid = entry.sid;
    li.dataset.type = entry.type;
    li.style.setProperty('--hue', String(actorHue(entry.sid)));
    const time = document.createElement('span');
    time.className = 'time';
    time.textContent = seconds(entry.t);
    const who = document.createElement('button');
    who.type = 'button';
    who.className = 'who';
    who.textContent = actor ? actorName(actor.view) : entry.sid;
    who.title = 'show this actor';
    who.addEventListener('click', () => onSelect(entry.sid));
    li.append(time, who);
    if (entry.dropped) {
      li.className = 'dropped';
      const note = document.createElement('span');
      note.className = 'note';
      note.textContent = `${entry.dropped} more events in this 0.1 s not shown (rate limit)`;
      li.append(note);
      return li;
    }
    const type = document.createElement('span');
    type.className = `type${entry.type.startsWith('xstate.') ? ' internal' : ''}`;
    type.textContent = entry.type;
    li.append(type);
    if (entry.from !== undefined) {
      const from = actors.get(entry.from);
      const sender = document.createElement('span');
      sender.className = 'from';
      sender.textContent = `from ${from ? actorName(from.view) : entry.from}`;
      li.append(sender);
    }
    if (entry.data !== undefined) {
      const data = document.createElement('code');
      data.className = 'data';
      data.textContent = compact(entry.data);
      data.title = JSON.stringify(entry.data, null, 2);
      li.append(data);
    }
    if (entry.to !== undefined) {
      const to = document.createElement('span');
      to.className = 'to';
      to.textContent = `→ ${valueText(entry.to)}`;
      li.append(to);
    }
    return li;
  }

  function renderChips() {
    const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, MAX_CHIPS);
    chips.replaceChildren(
      ...top.map(([type, count]) => {
        const chip = document.createElement('button');
        chip.type = 'button';
        chip.className = `chip${hidden.has(type) ? ' off' : ''}`;
        chip.dataset.type = type;
        chip.setAttribute('aria-pressed', String(!hidden.has(type)));
        chip.textContent = `${type} ${count}`;
        chip.title = hidden.has(type) ? 'hidden: click to show' : 'click to hide';
        chip.addEventListener('click', () => {
          if (hidden.has(type)) hidden.delete(type);
          else hidden.add(type);
          render();
        });
        return chip;
      }),
    );
  }

  const passes = (entry, words) =>
    inScope(entry.sid) && (entry.dropped || typeShown(entry.type, words));

  /** Redraws every row: after a filter, scope or selection change. */
  function drawAll() {
    const words = terms();
    const shown = [];
    for (let i = entries.length - 1; i >= 0 && shown.length < MAX_ROWS; i--)
      if (passes(entries[i], words)) shown.push(entries[i]);
    list.replaceChildren(...shown.reverse().map(rowFor));
    list.scrollTop = list.scrollHeight;
  }

  /** Appends the rows of new entries and trims the oldest: the usual, cheap path. */
  function drawNew() {
    const words = terms();
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const rows = fresh
      .filter((entry) => passes(entry, words))
      .slice(-MAX_ROWS)
      .map(rowFor);
    list.append(...rows);
    while (list.childElementCount > MAX_ROWS) list.firstElementChild.remove();
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  let fresh = [];
  let full = true;
  let chipsAt = 0;
  function draw(now) {
    scheduled = false;
    const all = full;
    if (all) drawAll();
    else drawNew();
    full = false;
    fresh = [];
    if (all || now - chipsAt > 500) {
      chipsAt = now;
      renderChips();
    }
  }

  /** Schedules drawing on the next animation frame; `all` redraws every row. */
  function render(all = true) {
    if (all) full = true;
    if (paused || scheduled) return;
    scheduled = true;
    requestAnimationFrame(draw);
  }

  function keep(entry) {
    entries.push(entry);
    fresh.push(entry);
    if (!entry.dropped) counts.set(entry.type, (counts.get(entry.type) ?? 0) + 1);
  }

  filter.addEventListener('input', () => render());
  scope.addEventListener('change', () => render());
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume' : 'Pause';
    if (!paused) render();
  });

  return {
    received: () => received,
    reset(log) {
      entries = [];
      counts.clear();
      for (const entry of log) keep(entry);
      lastN = log.reduce((n, e) => Math.max(n, e.n), 0);
      render();
    },
    add(log, dropped, t) {
      for (const entry of log) {
        if (entry.n <= lastN) continue;
        lastN = entry.n;
        received++;
        keep(entry);
      }
      for (const [sid, n] of Object.entries(dropped)) {
        received += n;
        keep({ n: lastN, t, sid, type: '', dropped: n });
      }
      if (entries.length > MAX_KEPT) entries = entries.slice(-MAX_KEPT);
      if (fresh.length > MAX_KEPT) fresh = fresh.slice(-MAX_KEPT);
      render(false);
    },
    render,
  };
}
