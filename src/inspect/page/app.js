// The live view: reads the inspector's feed (one `init`, then a `batch` per ~100 ms), keeps
// every actor's state, plays state changes back at a pace a person can follow, and draws the
// selected actor's statechart. Generic: nothing here names a machine or a state.
import { createCamera } from './camera.js';
import { activePaths, layoutChart, renderChart, valueText } from './chart.js';
import { createEventLog } from './log.js';
import { createTree } from './tree.js';

/** Each state stays on screen at least this long when several arrive at once. */
const MIN_DWELL_MS = 180;
/** A queue of pending states longer than this skips ahead: the view never lags far behind. */
const MAX_QUEUE = 12;

const $ = (id) => document.getElementById(id);
const state = {
  machines: new Map(),
  layouts: new Map(),
  actors: new Map(),
  selected: null,
  userSelected: false,
  view: null,
  t: 0,
};
const live = { messages: 0, batches: 0, errors: [], layouts: {} };
window.timeswarmLive = live;

const tree = createTree($('tree'), {
  onSelect: (sid) => select(sid, true),
  showEnded: () => $('show-ended').checked,
});
const eventLog = createEventLog({
  list: $('log'),
  chips: $('chips'),
  scope: $('scope'),
  filter: $('type-filter'),
  pause: $('pause'),
  actors: state.actors,
  selected: () => state.selected,
  onSelect: (sid) => select(sid, true),
});
$('show-ended').addEventListener('change', () => tree.render(state.actors));

function addActor(view, first) {
  const actor = {
    view,
    shown: { value: first ?? view.value, status: first === undefined ? view.status : 'active' },
    queue: [],
    shownAt: 0,
  };
  state.actors.set(view.sid, actor);
  return actor;
}

function enqueue(actor, item) {
  const last = actor.queue.at(-1) ?? actor.shown;
  if (JSON.stringify(last.value) === JSON.stringify(item.value) && last.status === item.status)
    return;
  actor.queue.push(item);
  if (actor.queue.length > MAX_QUEUE) actor.queue.splice(0, actor.queue.length - MAX_QUEUE);
}

function show(actor) {
  tree.update(actor);
  if (actor.view.sid === state.selected) paintSelected();
}

function handleInit(message) {
  state.machines = new Map(Object.entries(message.machines));
  for (const key of state.machines.keys()) warm(key);
  state.actors.clear();
  for (const view of message.actors) addActor(view);
  eventLog.reset(message.log);
  document.title = `${message.title} · live statecharts`;
  $('title').textContent = `${message.title} · live statecharts`;
  tree.render(state.actors);
  autoSelect();
  paintSelected(true);
}

function handleBatch(message) {
  live.batches++;
  for (const [key, chart] of Object.entries(message.machines ?? {})) {
    state.machines.set(key, chart);
    warm(key);
  }
  let structure = false;
  const fresh = new Set();
  for (const view of message.actors ?? []) {
    if (!state.actors.has(view.sid)) {
      addActor(view, view.initial ?? view.value);
      fresh.add(view.sid);
      structure = true;
    }
  }
  for (const entry of message.log ?? []) {
    const actor = state.actors.get(entry.sid);
    if (actor && entry.to !== undefined) enqueue(actor, { value: entry.to, status: 'active' });
  }
  for (const view of message.actors ?? []) {
    const actor = state.actors.get(view.sid);
    if (!fresh.has(view.sid) && actor.view.status !== view.status) structure = true;
    actor.view = view;
    enqueue(actor, { value: view.value, status: view.status });
  }
  for (const sid of message.removed ?? []) {
    state.actors.delete(sid);
    structure = true;
  }
  eventLog.add(message.log ?? [], message.dropped ?? {}, message.t);
  if (structure) tree.render(state.actors);
  autoSelect(fresh);
  if (message.steps?.[state.selected]) state.view?.flash(message.steps[state.selected]);
  updateStats(message.t);
}

/**
 * Without a choice by the person: show the newest root machine when one starts, and keep
 * showing it after it ends (its final state is worth seeing) until another one starts.
 */
function autoSelect(fresh = new Set()) {
  if (state.userSelected && state.actors.has(state.selected)) return;
  const roots = [...state.actors.values()].filter(
    (a) => a.view.machine && !state.actors.has(a.view.parent),
  );
  const newest = roots.filter((a) => fresh.has(a.view.sid)).at(-1);
  const current = state.actors.get(state.selected);
  const pick =
    newest ??
    (current ? null : (roots.filter((a) => a.view.status === 'active').at(-1) ?? roots.at(-1)));
  if (pick && pick.view.sid !== state.selected) select(pick.view.sid, false);
}

function select(sid, byPerson) {
  if (byPerson) state.userSelected = true;
  if (state.selected === sid) return;
  state.selected = sid;
  tree.setSelected(sid);
  eventLog.render();
  paintSelected(true);
}

/** A machine's layout, computed once (ELK runs off the critical path, one at a time). */
let layoutQueue = Promise.resolve();
function layoutOf(key) {
  if (!state.layouts.has(key)) {
    const host = $('chart');
    const aspect = host.clientWidth / Math.max(1, host.clientHeight) || 2;
    const started = performance.now();
    const job = layoutQueue.then(() => layoutChart(state.machines.get(key), aspect));
    layoutQueue = job.then(
      () => {
        live.layouts[key] = Math.round(performance.now() - started);
      },
      () => undefined,
    );
    state.layouts.set(key, job);
  }
  return state.layouts.get(key);
}

/** Lays every machine out as soon as its definition arrives, before anyone selects it. */
function warm(key) {
  layoutOf(key).catch((error) => live.errors.push(`layout ${key}: ${error.message}`));
}

let drawing = 0;
async function paintSelected(redraw = false) {
  const actor = state.actors.get(state.selected);
  const host = $('chart');
  if (!actor?.view.machine) {
    state.view = null;
    host.replaceChildren();
    $('chart-title').textContent = actor
      ? `${actor.view.src ?? actor.view.id} (no statechart)`
      : 'No actor selected';
    $('chart-sub').textContent = '';
    $('state-now').textContent = '';
    return;
  }
  const chart = state.machines.get(actor.view.machine);
  $('chart-title').textContent = actor.view.machine;
  const parent = state.actors.get(actor.view.parent);
  $('chart-sub').textContent = [
    `actor ${actor.view.id}`,
    parent ? `child of ${parent.view.machine ?? parent.view.src ?? parent.view.id}` : 'root actor',
    actor.shown.status,
  ].join(' · ');
  const stateNow = $('state-now');
  stateNow.textContent = valueText(actor.shown.value);
  stateNow.dataset.status = actor.shown.status;
  if (redraw || !state.view || state.view.machine !== actor.view.machine) {
    const ticket = ++drawing;
    let layout;
    try {
      layout = await layoutOf(actor.view.machine);
    } catch (error) {
      live.errors.push(`layout ${actor.view.machine}: ${error.message}`);
      return;
    }
    if (ticket !== drawing) return;
    const view = renderChart(host, chart, layout);
    state.view = { ...view, machine: actor.view.machine };
    host.dataset.machine = actor.view.machine;
    host.dataset.sid = actor.view.sid;
    state.camera = createCamera(view.svg, layout, {
      fitButton: $('fit'),
      followButton: $('follow'),
    });
    state.camera.follow(activePaths(actor.shown.value), true);
  }
  const current = state.actors.get(state.selected);
  if (current) {
    const paths = activePaths(current.shown.value);
    state.view.setActive(paths);
    state.camera?.follow(paths);
    host.dataset.state = valueText(current.shown.value);
    host.dataset.status = current.shown.status;
  }
}

/** Plays queued states back, one per MIN_DWELL_MS per actor. */
setInterval(() => {
  const now = performance.now();
  for (const actor of state.actors.values()) {
    if (actor.queue.length === 0 || now - actor.shownAt < MIN_DWELL_MS) continue;
    actor.shown = actor.queue.shift();
    actor.shownAt = now;
    show(actor);
  }
}, 40);

const rate = [];
function updateStats(t) {
  const active = [...state.actors.values()].filter((a) => a.view.status === 'active');
  rate.push({ t, n: eventLog.received() });
  while (rate.length > 2 && t - rate[0].t > 3000) rate.shift();
  const span = (rate.at(-1).t - rate[0].t) / 1000;
  const perSecond = span > 0 ? (rate.at(-1).n - rate[0].n) / span : 0;
  $('stats').textContent =
    `${active.filter((a) => a.view.machine).length} machines running · ${active.length} actors · ${perSecond.toFixed(0)} events/s`;
}

function setConnection(status, text) {
  document.body.dataset.connection = status;
  $('connection').querySelector('.text').textContent = text;
}

function connect() {
  const ws = new WebSocket(`ws://${location.host}/feed`);
  ws.onopen = () => setConnection('live', 'live · local feed');
  ws.onmessage = (event) => {
    live.messages++;
    try {
      const message = JSON.parse(event.data);
      if (message.type === 'init') handleInit(message);
      else if (message.type === 'batch') handleBatch(message);
    } catch (error) {
      live.errors.push(error.message);
    }
  };
  ws.onclose = () => {
    setConnection('closed', 'disconnected: the process ended or stopped inspecting (retrying)');
    setTimeout(connect, 2000);
  };
}
connect();
