// Lays out one statechart with ELK (the `ELK` global from /vendor/elk.js, served locally) and
// draws it as SVG. Generic: it reads the chart data the server sends (states, transitions)
// and knows no machine by name. Each state is a <g class="state" data-path="…">; the page
// marks the active ones with data-active="true".

const SVG = 'http://www.w3.org/2000/svg';
const FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';
const SMALL = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
const HEADER = 26;
const LINE = 15;
const MAX_LINES = 6;

let measureContext = null;
function textWidth(text, font) {
  measureContext ??= document.createElement('canvas').getContext('2d');
  measureContext.font = font;
  return Math.ceil(measureContext.measureText(text).width);
}

const nodeId = (path) => `n:${path}`;

/** Lines written inside a state's box: what it invokes, and transitions that stay in it. */
function boxLines(state) {
  const lines = state.invokes.map((src) => ({ text: `⚙ invokes ${src}`, kind: 'invoke' }));
  for (const t of state.transitions) {
    if (t.targets.length > 0) continue;
    const guard = t.guard ? ` [${t.guard}]` : '';
    lines.push({ text: `↻ ${t.label}${guard}`, kind: 'stay', transition: t.id });
  }
  if (lines.length > MAX_LINES) {
    const more = lines.length - (MAX_LINES - 1);
    lines.splice(MAX_LINES - 1, lines.length, { text: `… ${more} more`, kind: 'more' });
  }
  return lines;
}

function edgeLabel(t) {
  return t.guard ? `${t.label} [${t.guard}]` : t.label;
}

function toElkNode(state, isRoot) {
  const lines = boxLines(state);
  const title = isRoot ? state.key || 'machine' : state.key;
  const contentWidth = Math.max(
    textWidth(title, `600 ${FONT}`) + 28,
    ...lines.map((l) => textWidth(l.text, SMALL) + 20),
  );
  const node = { id: nodeId(state.path), labels: [], layoutOptions: {} };
  if (state.children.length === 0) {
    node.width = Math.max(90, contentWidth);
    node.height = HEADER + lines.length * LINE + (lines.length ? 6 : 4);
    return node;
  }
  node.layoutOptions['elk.padding'] =
    `[top=${HEADER + lines.length * LINE + 10},left=16,bottom=16,right=16]`;
  node.layoutOptions['elk.nodeSize.minimum'] = `(${contentWidth}, 40)`;
  node.layoutOptions['elk.nodeSize.constraints'] = 'MINIMUM_SIZE';
  node.children = state.children.map((child) => toElkNode(child, false));
  if (state.initial !== undefined && state.kind === 'compound')
    node.children.push({ id: `i:${state.path}`, width: 12, height: 12 });
  return node;
}

const LABEL_LINE = 14;
const MAX_LABEL_LINES = 4;

/**
 * One arrow per (source, target) pair, labelled with every transition it stands for, one
 * per line: a state left by four events has one arrow with four lines, not four arrows.
 */
function collectEdges(state, edges) {
  if (state.initial !== undefined && state.kind === 'compound')
    edges.push({
      id: `init:${state.path}`,
      sources: [`i:${state.path}`],
      targets: [nodeId(state.initial)],
    });
  const groups = new Map();
  for (const t of state.transitions)
    for (const target of t.targets) {
      if (!groups.has(target)) groups.set(target, []);
      groups.get(target).push(t);
    }
  for (const [target, list] of groups) {
    const lines = list.map(edgeLabel);
    if (lines.length > MAX_LABEL_LINES)
      lines.splice(
        MAX_LABEL_LINES - 1,
        lines.length,
        `+${lines.length - MAX_LABEL_LINES + 1} more`,
      );
    edges.push({
      id: `${state.path}->${target}`,
      transitions: list.map((t) => t.id),
      sources: [nodeId(state.path)],
      targets: [nodeId(target)],
      labels: [
        {
          text: lines.join('\n'),
          width: Math.max(...lines.map((line) => textWidth(line, SMALL))) + 10,
          height: lines.length * LABEL_LINE + 4,
        },
      ],
    });
  }
  for (const child of state.children) collectEdges(child, edges);
}

function indexStates(state, byPath, depth = 0) {
  byPath.set(state.path, { state, depth, lines: boxLines(state) });
  for (const child of state.children) indexStates(child, byPath, depth + 1);
}

let elk = null;

/**
 * Lays a chart out (async: ELK): left to right in a panel wider than tall (the usual case),
 * else top to bottom. The result is plain coordinates, cached per machine by the page.
 */
export function layoutChart(chart, aspect = 2) {
  return layoutOnce(chart, aspect >= 1 ? 'RIGHT' : 'DOWN');
}

async function layoutOnce(chart, direction) {
  elk ??= new globalThis.ELK();
  const edges = [];
  collectEdges(chart.root, edges);
  const graph = {
    id: 'graph',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': direction,
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.json.edgeCoords': 'ROOT',
      'elk.json.shapeCoords': 'ROOT',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.edgeLabels.inline': 'false',
      'elk.layered.spacing.nodeNodeBetweenLayers': '46',
      'elk.layered.spacing.edgeNodeBetweenLayers': '18',
      'elk.spacing.nodeNode': '26',
      'elk.spacing.edgeLabel': '4',
      'elk.spacing.edgeEdge': '12',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    children: [toElkNode(chart.root, true)],
    edges,
  };
  const result = await elk.layout(graph);
  const byPath = new Map();
  indexStates(chart.root, byPath);
  const nodes = [];
  const initials = [];
  const walk = (node) => {
    if (node.id.startsWith('i:')) initials.push({ x: node.x, y: node.y, w: node.width });
    else if (node.id.startsWith('n:')) {
      const path = node.id.slice(2);
      const info = byPath.get(path);
      nodes.push({ path, x: node.x, y: node.y, w: node.width, h: node.height, ...info });
    }
    for (const child of node.children ?? []) walk(child);
  };
  for (const child of result.children) walk(child);
  const byId = new Map(edges.map((edge) => [edge.id, edge]));
  const laidEdges = (result.edges ?? []).map((edge) => {
    const section = edge.sections?.[0];
    const points = section
      ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]
      : [];
    const label = edge.labels?.[0];
    return {
      id: edge.id,
      transitions: byId.get(edge.id)?.transitions ?? [],
      initial: edge.id.startsWith('init:'),
      points,
      label: label ? { x: label.x, y: label.y, w: label.width, h: label.height } : null,
    };
  });
  return {
    width: result.width,
    height: result.height,
    direction,
    nodes,
    initials,
    edges: laidEdges,
  };
}

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
