// The layout half of a statechart: sizes of boxes and labels, and ELK's placement of them
// (the `ELK` global from /vendor/elk.js, served locally). chart.js draws the result.
export const SVG = 'http://www.w3.org/2000/svg';
const FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';
const SMALL = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
export const HEADER = 26;
export const LINE = 15;
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

export const LABEL_LINE = 14;
export const MAX_LABEL_LINES = 4;

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
