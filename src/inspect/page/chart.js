// Lays out one statechart with ELK (the `ELK` global from /vendor/elk.js, served locally) and
// draws it as SVG. Generic: it reads the chart data the server sends (states, transitions)
// and knows no machine by name. Each state is a <g class="state" data-path="…">; the page
// marks the active ones with data-active="true".

import { HEADER, LABEL_LINE, LINE, MAX_LABEL_LINES, SVG } from './chartLayout.js';

export { layoutChart } from './chartLayout.js';

function el(name, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (parent) parent.appendChild(node);
  return node;
}

function roundedPath(points) {
  if (points.length === 0) return '';
  let d = `M${points[0].x},${points[0].y}`;
  for (let i = 1; i < points.length; i++) d += ` L${points[i].x},${points[i].y}`;
  return d;
}

function describeState(state) {
  const parts = [`state ${state.path || '(root)'} — ${state.kind}`];
  if (state.description) parts.push(state.description);
  if (state.entry.length) parts.push(`entry: ${state.entry.join(', ')}`);
  if (state.exit.length) parts.push(`exit: ${state.exit.join(', ')}`);
  if (state.invokes.length) parts.push(`invokes: ${state.invokes.join(', ')}`);
  if (state.tags.length) parts.push(`tags: ${state.tags.join(', ')}`);
  return parts.join('\n');
}

function describeTransition(t) {
  const parts = [`on ${t.event || '(always)'}`];
  if (t.guard) parts.push(`only if ${t.guard}`);
  if (t.targets.length) parts.push(`→ ${t.targets.join(', ')}`);
  else parts.push('stays in this state');
  if (t.actions.length) parts.push(`actions: ${t.actions.join(', ')}`);
  return parts.join('\n');
}

/**
 * Draws a laid-out chart into `host` (replacing what was there) and returns the handles the
 * page uses to show the actor's life on it: which states are active, which transitions fired.
 */
export function renderChart(host, chart, layout) {
  host.replaceChildren();
  const transitions = new Map();
  const visit = (state) => {
    for (const t of state.transitions) transitions.set(t.id, t);
    state.children.forEach(visit);
  };
  visit(chart.root);

  const svg = el('svg', {
    class: 'chart-svg',
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    'data-machine': chart.id,
    role: 'img',
    'aria-label': `statechart of ${chart.id}`,
  });
  const defs = el('defs', {}, svg);
  const marker = el(
    'marker',
    {
      id: 'arrow',
      viewBox: '0 0 10 10',
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: 'auto-start-reverse',
    },
    defs,
  );
  el('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }, marker);

  const statesLayer = el('g', { class: 'states' }, svg);
  const edgesLayer = el('g', { class: 'edges' }, svg);
  const labelsLayer = el('g', { class: 'labels' }, svg);
  const stateElements = new Map();
  const transitionElements = new Map();
  const remember = (id, element) => {
    if (!transitionElements.has(id)) transitionElements.set(id, []);
    transitionElements.get(id).push(element);
  };

  const sorted = [...layout.nodes].sort((a, b) => a.depth - b.depth);
  for (const node of sorted) {
    const { state } = node;
    const compound = state.children.length > 0;
    const g = el(
      'g',
      {
        class: `state kind-${state.kind}${compound ? ' compound' : ''}`,
        'data-path': state.path,
        'data-active': 'false',
        'data-depth': node.depth,
      },
      statesLayer,
    );
    el('title', {}, g).textContent = describeState(state);
    el('rect', { x: node.x, y: node.y, width: node.w, height: node.h, rx: 10, class: 'box' }, g);
    if (state.kind === 'final')
      el(
        'rect',
        {
          x: node.x + 3,
          y: node.y + 3,
          width: node.w - 6,
          height: node.h - 6,
          rx: 8,
          class: 'inner',
        },
        g,
      );
    if (compound)
      el(
        'line',
        {
          x1: node.x,
          x2: node.x + node.w,
          y1: node.y + HEADER,
          y2: node.y + HEADER,
          class: 'divider',
        },
        g,
      );
    const title = el('text', { x: node.x + 12, y: node.y + 17, class: 'title' }, g);
    title.textContent = node.depth === 0 ? chart.id : state.key;
    if (state.kind === 'parallel') {
      const badge = el(
        'text',
        { x: node.x + node.w - 10, y: node.y + 17, class: 'badge', 'text-anchor': 'end' },
        g,
      );
      badge.textContent = '∥ parallel';
    }
    node.lines.forEach((line, i) => {
      const text = el(
        'text',
        { x: node.x + 12, y: node.y + HEADER + 12 + i * LINE, class: `line line-${line.kind}` },
        g,
      );
      text.textContent = line.text;
      if (line.transition) {
        text.setAttribute('data-transition', line.transition);
        el('title', {}, text).textContent = describeTransition(transitions.get(line.transition));
        remember(line.transition, text);
      }
    });
    stateElements.set(state.path, g);
  }
  for (const initial of layout.initials)
    el(
      'circle',
      {
        cx: initial.x + initial.w / 2,
        cy: initial.y + initial.w / 2,
        r: initial.w / 2 - 1,
        class: 'initial',
      },
      statesLayer,
    );

  for (const edge of layout.edges) {
    const path = el(
      'path',
      {
        d: roundedPath(edge.points),
        class: edge.initial ? 'edge initial-edge' : 'edge',
        'marker-end': 'url(#arrow)',
      },
      edgesLayer,
    );
    if (edge.transitions.length === 0) continue;
    const list = edge.transitions.map((id) => transitions.get(id));
    const tooltip = list.map(describeTransition).join('\n\n');
    path.setAttribute('data-transitions', edge.transitions.join(' '));
    el('title', {}, path).textContent = tooltip;
    for (const id of edge.transitions) remember(id, path);
    if (!edge.label) continue;
    const g = el('g', { class: 'edge-label' }, labelsLayer);
    el('title', {}, g).textContent = tooltip;
    const { x, y, w, h } = edge.label;
    el('rect', { x, y, width: w, height: h, rx: 4 }, g);
    const shown = list.length > MAX_LABEL_LINES ? list.slice(0, MAX_LABEL_LINES - 1) : list;
    shown.forEach((t, i) => {
      const text = el('text', { x: x + 5, y: y + 13 + i * LABEL_LINE, 'data-transition': t.id }, g);
      text.textContent = t.label;
      if (t.guard) el('tspan', { class: 'guard' }, text).textContent = ` [${t.guard}]`;
      remember(t.id, text);
      remember(t.id, g);
    });
    if (shown.length < list.length) {
      const more = el('text', { x: x + 5, y: y + 13 + shown.length * LABEL_LINE }, g);
      more.textContent = `+${list.length - shown.length} more`;
    }
  }
  host.appendChild(svg);

  const timers = new Map();
  return {
    svg,
    /** Marks active states: `paths` are the state paths of the current value. */
    setActive(paths) {
      for (const [path, g] of stateElements) {
        const active = paths.has(path);
        if (g.getAttribute('data-active') !== String(active))
          g.setAttribute('data-active', String(active));
      }
    },
    /** Briefly lights up the transitions just taken. */
    flash(ids) {
      for (const id of ids) {
        for (const element of transitionElements.get(id) ?? []) {
          element.classList.add('hot');
          clearTimeout(timers.get(element));
          timers.set(
            element,
            setTimeout(() => element.classList.remove('hot'), 650),
          );
        }
      }
    },
  };
}

/** The state paths a state value makes active: `{ a: { b: 'c' } }` → '', 'a', 'a.b', 'a.b.c'. */
export function activePaths(value) {
  const paths = new Set(['']);
  const walk = (v, prefix) => {
    if (typeof v === 'string') paths.add(prefix ? `${prefix}.${v}` : v);
    else if (v && typeof v === 'object')
      for (const [key, child] of Object.entries(v)) {
        const path = prefix ? `${prefix}.${key}` : key;
        paths.add(path);
        walk(child, path);
      }
  };
  walk(value, '');
  return paths;
}

/** A state value as one line: `session.ticking.online`; parallel regions as `(a.x | b.y)`. */
export function valueText(value) {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object') return String(value);
  const parts = Object.entries(value).map(([key, child]) => {
    const rest = valueText(child);
    return rest ? `${key}.${rest}` : key;
  });
  return parts.length > 1 ? `(${parts.join(' | ')})` : (parts[0] ?? '');
}
