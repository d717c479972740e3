/**
 * Draws an XState machine as an inline SVG statechart at generation time: ELK (elkjs, the
 * Eclipse Layout Kernel compiled to JavaScript) lays out the nested states and routes the
 * transitions; this file turns the layout into SVG. The result needs no script and no
 * network to view, so docs/machines.html opens anywhere.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { AnyStateMachine } from 'xstate';
import { allTransitions, eventLabel, type NodeLike, stateId } from './generateMachineDocs';

interface ElkLabel {
  text: string;
  width: number;
  height: number;
  x?: number;
  y?: number;
}
interface ElkNode {
  id: string;
  width?: number;
  height?: number;
  x?: number;
  y?: number;
  labels?: ElkLabel[];
  children?: ElkNode[];
  edges?: ElkEdge[];
  layoutOptions?: Record<string, string>;
}
interface ElkEdge {
  id: string;
  sources: string[];
  targets: string[];
  labels?: ElkLabel[];
  sections?: {
    startPoint: { x: number; y: number };
    endPoint: { x: number; y: number };
    bendPoints?: { x: number; y: number }[];
  }[];
}

const FONT = 12;
const LABEL_FONT = 11;
/** Text width without a font engine: a generous average glyph width for DejaVu/Helvetica. */
const textWidth = (text: string, size: number) => Math.ceil(text.length * size * 0.6) + 4;

const escapeXml = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The ELK graph of a machine: a node per state (nested), an edge per transition target. */
function elkGraph(machine: AnyStateMachine): {
  graph: ElkNode;
  kinds: Map<string, NodeLike['type'] | 'initial'>;
} {
  const root = machine.root as unknown as NodeLike;
  const kinds = new Map<string, NodeLike['type'] | 'initial'>();
  const edges: ElkEdge[] = [];
  let edgeCount = 0;

  const build = (node: NodeLike): ElkNode => {
    const id = stateId(node);
    kinds.set(id, node.type);
    const children = Object.values(node.states).map(build);
    const initial = node.initial?.target?.[0];
    if (initial) {
      const dot = `${id}__initial`;
      kinds.set(dot, 'initial');
      children.unshift({ id: dot, width: 12, height: 12 });
      edges.push({ id: `e${edgeCount++}`, sources: [dot], targets: [stateId(initial)] });
    }
    if (node !== root) {
      for (const transition of allTransitions(node)) {
        for (const target of transition.target ?? []) {
          const text = eventLabel(node, transition);
          edges.push({
            id: `e${edgeCount++}`,
            sources: [id],
            targets: [stateId(target)],
            labels: [{ text, width: textWidth(text, LABEL_FONT), height: LABEL_FONT + 4 }],
          });
        }
      }
    }
    const label = { text: node.key, width: textWidth(node.key, FONT), height: FONT + 6 };
    if (children.length === 0)
      return { id, width: Math.max(60, label.width + 20), height: 34, labels: [label] };
    return {
      id,
      labels: [label],
      children,
      layoutOptions: { 'elk.padding': '[top=30,left=12,bottom=12,right=12]' },
    };
  };

  const graph = build(root);
  graph.labels = [];
  graph.edges = edges;
  graph.layoutOptions = {
    'elk.algorithm': 'layered',
    'elk.direction': 'RIGHT',
    'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
    'elk.edgeRouting': 'ORTHOGONAL',
    'elk.layered.spacing.nodeNodeBetweenLayers': '40',
    'elk.spacing.nodeNode': '24',
    'elk.spacing.edgeLabel': '4',
    'elk.edgeLabels.inline': 'false',
    'elk.json.edgeCoords': 'ROOT',
    'elk.json.shapeCoords': 'ROOT',
    'elk.padding': '[top=12,left=12,bottom=12,right=12]',
  };
  return { graph, kinds };
}

/**
 * An SVG statechart of the machine: rounded boxes for states (compound states enclose their
 * children, final states have a double border), a dot for each initial state, orthogonal
 * arrows labelled with event [guard], `after X`, `done (src)` / `error (src)`, `always`.
 */
export async function machineSvg(machine: AnyStateMachine): Promise<string> {
  const { graph, kinds } = elkGraph(machine);
  const elk = new ELK();
  const laid = (await elk.layout(graph as never)) as unknown as ElkNode;
  const out: string[] = [];
  const drawNode = (node: ElkNode, depth: number) => {
    const kind = kinds.get(node.id);
    const x = node.x ?? 0;
    const y = node.y ?? 0;
    const w = node.width ?? 0;
    const h = node.height ?? 0;
    if (depth > 0) {
      if (kind === 'initial') {
        out.push(`<circle class="initial" cx="${x + w / 2}" cy="${y + h / 2}" r="${w / 2}"/>`);
      } else {
        const compound = (node.children ?? []).length > 0;
        out.push(
          `<g class="state ${kind}${compound ? ' compound' : ''}" data-state="${escapeXml(node.id)}">` +
            `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="8"/>` +
            (kind === 'final'
              ? `<rect class="inner" x="${x + 3}" y="${y + 3}" width="${w - 6}" height="${h - 6}" rx="6"/>`
              : '') +
            `<text x="${compound ? x + 10 : x + w / 2}" y="${compound ? y + 18 : y + h / 2 + 4}"${compound ? '' : ' text-anchor="middle"'}>${escapeXml(node.labels?.[0]?.text ?? node.id)}</text></g>`,
        );
      }
    }
    for (const child of node.children ?? []) drawNode(child, depth + 1);
  };
  drawNode(laid, 0);
  for (const edge of laid.edges ?? []) {
    for (const section of edge.sections ?? []) {
      const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
      out.push(
        `<path class="edge" d="M${points.map((p) => `${round(p.x)},${round(p.y)}`).join(' L')}" marker-end="url(#arrow)"/>`,
      );
    }
    for (const label of edge.labels ?? []) {
      out.push(
        `<text class="label" x="${round((label.x ?? 0) + 2)}" y="${round((label.y ?? 0) + LABEL_FONT)}">${escapeXml(label.text)}</text>`,
      );
    }
  }
  const width = Math.ceil(laid.width ?? 0);
  const height = Math.ceil(laid.height ?? 0);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="statechart" data-machine="${escapeXml(machine.id)}" ` +
    `width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="statechart of ${escapeXml(machine.id)}">` +
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>' +
    `${out.join('')}</svg>`
  );
}

const round = (v: number) => Math.round(v * 10) / 10;
