import type { AnyStateMachine } from 'xstate';
import { escapeHtml } from './html';

/**
 * The state diagram of a workflow as SVG, drawn from the machine definition itself: top-level
 * states in layers by their distance from the initial state (compound states count as one node),
 * forward transitions straight down, returns and loops as arcs on the right. The current state is
 * highlighted and every transition the instance has taken is drawn bold.
 */
export interface DiagramEdge {
  from: string;
  to: string;
  events: string[];
}

export interface DiagramModel {
  initial: string;
  nodes: string[];
  /** Final states, drawn in the last layer. */
  finals: string[];
  edges: DiagramEdge[];
}

interface StateConfig {
  type?: string;
  on?: Record<string, unknown>;
  states?: Record<string, StateConfig>;
  initial?: string;
}

function targetsOf(transition: unknown): string[] {
  if (typeof transition === 'string') return [transition];
  if (Array.isArray(transition)) return transition.flatMap(targetsOf);
  if (transition && typeof transition === 'object') {
    const target = (transition as { target?: unknown }).target;
    if (typeof target === 'string') return [target];
    if (Array.isArray(target)) return target.filter((x): x is string => typeof x === 'string');
  }
  return [];
}

/** The top-level state a target names, or undefined for a child of the same state ('.x'). */
function topLevelTarget(target: string, machineId: string): string | undefined {
  if (target.startsWith('.')) return undefined;
  const path = target.startsWith('#') ? target.slice(1).split('.').slice(target.startsWith(`#${machineId}.`) ? 1 : 0) : target.split('.');
  return path[0];
}

export function diagramModel(machine: AnyStateMachine): DiagramModel {
  const config = machine.config as { id?: string; initial?: string; states?: Record<string, StateConfig> };
  const states = config.states ?? {};
  const id = config.id ?? machine.id;
  const nodes = Object.keys(states);
  const byPair = new Map<string, DiagramEdge>();
  const visit = (top: string, state: StateConfig, nested: boolean) => {
    for (const [event, transition] of Object.entries(state.on ?? {})) {
      for (const target of targetsOf(transition)) {
        // A sibling name inside a compound state stays inside it: not an edge of the top level.
        const to = nested && !target.startsWith('#') ? undefined : topLevelTarget(target, id);
        if (!to || to === top || !nodes.includes(to)) continue;
        const key = `${top}>${to}`;
        const edge = byPair.get(key) ?? { from: top, to, events: [] };
        if (!edge.events.includes(event)) edge.events.push(event);
        byPair.set(key, edge);
      }
    }
    for (const child of Object.values(state.states ?? {})) visit(top, child, true);
  };
  for (const [name, state] of Object.entries(states)) visit(name, state, false);
  return { initial: config.initial ?? nodes[0]!, nodes, finals: nodes.filter((n) => states[n]!.type === 'final'), edges: [...byPair.values()] };
}

const NODE_W = 176;
const NODE_H = 40;
const GAP_X = 24;
const GAP_Y = 56;
const MARGIN = 16;
const ARC_STEP = 16;
/** Room right of the arcs for the labels written beside them. */
const LABEL_ROOM = 90;

interface Layout {
  layer: Map<string, number>;
  pos: Map<string, { x: number; y: number }>;
  /** Left edge of the node area (arcs of long forward edges run left of it). */
  left: number;
  contentW: number;
  width: number;
  height: number;
  /** Edges that skip layers (drawn on the left) and edges back up or sideways (drawn on the right). */
  longEdges: DiagramEdge[];
  backEdges: DiagramEdge[];
}

/**
 * Layers by breadth-first distance from the initial state, final states in a last layer of their
 * own; within a layer, states with arcs on the left come first and those with arcs on the right
 * last, so an arc's horizontal run does not cross a neighbour.
 */
function layout(model: DiagramModel): Layout {
  const layer = new Map<string, number>([[model.initial, 0]]);
  const queue = [model.initial];
  while (queue.length) {
    const s = queue.shift()!;
    for (const e of model.edges.filter((x) => x.from === s && !model.finals.includes(x.to))) {
      if (!layer.has(e.to)) {
        layer.set(e.to, layer.get(s)! + 1);
        queue.push(e.to);
      }
    }
  }
  let deepest = Math.max(...layer.values());
  for (const n of model.nodes) if (!layer.has(n) && !model.finals.includes(n)) layer.set(n, ++deepest);
  for (const n of model.finals) if (!layer.has(n)) layer.set(n, deepest + 1);
  const longEdges = model.edges.filter((e) => layer.get(e.to)! > layer.get(e.from)! + 1);
  const backEdges = model.edges.filter((e) => layer.get(e.to)! <= layer.get(e.from)!);
  const side = (n: string) => {
    const onRight = backEdges.some((e) => e.from === n || e.to === n);
    const onLeft = longEdges.some((e) => e.from === n || e.to === n);
    return onRight ? 2 : onLeft ? 0 : 1;
  };
  const layers: string[][] = [];
  for (const n of model.nodes) (layers[layer.get(n)!] ??= []).push(n);
  for (const l of layers) l?.sort((a, b) => side(a) - side(b));
  const widest = Math.max(...layers.map((l) => l?.length ?? 0));
  const contentW = widest * NODE_W + (widest - 1) * GAP_X;
  const left = MARGIN + (longEdges.length ? (longEdges.length + 1) * ARC_STEP : 0);
  const pos = new Map<string, { x: number; y: number }>();
  layers.forEach((l, i) => {
    if (!l) return;
    const rowW = l.length * NODE_W + (l.length - 1) * GAP_X;
    l.forEach((n, j) => pos.set(n, { x: left + (contentW - rowW) / 2 + j * (NODE_W + GAP_X), y: MARGIN + i * (NODE_H + GAP_Y) }));
  });
  return {
    layer, pos, left, contentW, longEdges, backEdges,
    width: left + contentW + MARGIN + (backEdges.length ? (backEdges.length + 1) * ARC_STEP + LABEL_ROOM : 0),
    height: MARGIN * 2 + layers.length * NODE_H + (layers.length - 1) * GAP_Y,
  };
}

/** `label` names a state for people; `current` is the instance's state (may be "payment.spp"). */
export function renderDiagram(
  model: DiagramModel,
  opts: {
    current: string; taken: ReadonlyArray<{ from: string | null; to: string }>; label: (state: string) => string; title: string; desc: string;
    /** An event's name for people; the event's own name when absent. */
    eventLabel?: (event: string) => string;
  },
): string {
  const top = (s: string) => s.split('.')[0]!;
  const { layer, pos, left, contentW, longEdges, backEdges, width, height } = layout(model);
  const takenPairs = new Set(opts.taken.filter((h) => h.from).map((h) => `${top(h.from!)}>${top(h.to)}`));
  const visited = new Set(opts.taken.flatMap((h) => [h.from, h.to].filter((s): s is string => Boolean(s)).map(top)));
  const current = top(opts.current);
  const parts: string[] = [];
  const edgeSvg = (e: DiagramEdge, d: string, label: { x: number; y: number; anchor?: 'end' }) => {
    const taken = takenPairs.has(`${e.from}>${e.to}`);
    const events = e.events.map(opts.eventLabel ?? ((x) => x)).join(', ');
    parts.push(`<g class="edge${taken ? ' taken' : ''}"><title>${escapeHtml(`${opts.label(e.from)} → ${opts.label(e.to)}: ${events}`)}</title>`
      + `<path d="${d}" marker-end="url(#arrow${taken ? '-taken' : ''})"/>`
      + `<text x="${label.x}" y="${label.y}"${label.anchor ? ` text-anchor="${label.anchor}"` : ''}>${escapeHtml(events)}</text></g>`);
  };
  // Each arc gets its own lane and its own height on the nodes it joins, so arcs never merge.
  const offset = (i: number) => ((i % 5) - 2) * 5;
  for (const e of model.edges) {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    if (layer.get(e.to)! === layer.get(e.from)! + 1) {
      const x1 = a.x + NODE_W / 2;
      const y1 = a.y + NODE_H;
      const x2 = b.x + NODE_W / 2;
      const y2 = b.y - 2;
      edgeSvg(e, `M${x1} ${y1} L${x2} ${y2}`, { x: (x1 + x2) / 2 + 6, y: (y1 + y2) / 2 + 4 });
    }
  }
  longEdges.forEach((e, i) => {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    const lane = left - (i + 1) * ARC_STEP;
    const y1 = a.y + NODE_H / 2 + offset(i);
    const y2 = b.y + NODE_H / 2 + offset(i);
    edgeSvg(e, `M${a.x} ${y1} H${lane} V${y2} H${b.x - 2}`, { x: a.x - 4, y: y1 - 4, anchor: 'end' });
  });
  backEdges.forEach((e, i) => {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    const lane = left + contentW + (i + 1) * ARC_STEP;
    const y1 = a.y + NODE_H / 2 + offset(i);
    const y2 = b.y + NODE_H / 2 + offset(i);
    // Labelled where the arc leaves its state, above its run.
    edgeSvg(e, `M${a.x + NODE_W} ${y1} H${lane} V${y2} H${b.x + NODE_W + 2}`, { x: a.x + NODE_W + 4, y: y1 - 4 });
  });
  for (const n of model.nodes) {
    const p = pos.get(n)!;
    const cls = ['node', n === current ? 'current' : '', visited.has(n) ? 'visited' : ''].filter(Boolean).join(' ');
    const label = n === current && opts.current !== current ? `${opts.label(n)} (${opts.current.split('.').slice(1).join('.')})` : opts.label(n);
    parts.push(`<g class="${cls}"${n === current ? ' aria-current="step"' : ''}><rect x="${p.x}" y="${p.y}" width="${NODE_W}" height="${NODE_H}" rx="6"/>`
      + `<text x="${p.x + NODE_W / 2}" y="${p.y + NODE_H / 2 + 5}" text-anchor="middle">${escapeHtml(label)}</text></g>`);
  }
  // Drawn at its own size (never scaled down: its labels stay at least 12 CSS px); a drawing wider
  // than the page scrolls in its box (console.css).
  return `<svg class="diagram" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="diagram-title diagram-desc">`
    + `<title id="diagram-title">${escapeHtml(opts.title)}</title><desc id="diagram-desc">${escapeHtml(opts.desc)}</desc>`
    + '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="arrowhead"/></marker>'
    + '<marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="arrowhead taken"/></marker></defs>'
    + parts.join('')
    + '</svg>';
}

/**
 * The same model as a vertical list of steps, for narrow screens (a phone shows it instead of the
 * drawing, whose labels would be too small there): the states in the drawing's order (layer by
 * layer), each with where it leads and by which events; the current step and the steps passed
 * are marked in words, not by colour alone.
 */
export function renderStepList(
  model: DiagramModel,
  opts: {
    current: string; taken: ReadonlyArray<{ from: string | null; to: string }>; label: (state: string) => string; eventLabel?: (event: string) => string;
    /** "now here", "passed" and the heading of the list, in the page's language. */
    words: { current: string; visited: string; title: string };
  },
): string {
  const top = (s: string) => s.split('.')[0]!;
  const { layer, pos } = layout(model);
  const visited = new Set(opts.taken.flatMap((h) => [h.from, h.to].filter((s): s is string => Boolean(s)).map(top)));
  const current = top(opts.current);
  const order = [...model.nodes].sort((a, b) => layer.get(a)! - layer.get(b)! || pos.get(a)!.x - pos.get(b)!.x);
  const eventName = opts.eventLabel ?? ((e: string) => e);
  const items = order.map((n) => {
    const cls = ['step', n === current ? 'current' : '', n !== current && visited.has(n) ? 'visited' : ''].filter(Boolean).join(' ');
    const mark = n === current ? ` <strong class="step-mark">${escapeHtml(opts.words.current)}</strong>` : visited.has(n) ? ` <span class="step-mark">${escapeHtml(opts.words.visited)}</span>` : '';
    const next = model.edges.filter((e) => e.from === n)
      .map((e) => `<li>${escapeHtml(e.events.map(eventName).join(', '))} → ${escapeHtml(opts.label(e.to))}</li>`).join('');
    return `<li class="${cls}"${n === current ? ' aria-current="step"' : ''}><span class="step-name">${escapeHtml(opts.label(n))}</span>${mark}`
      + `${next ? `<ul class="step-next">${next}</ul>` : ''}</li>`;
  });
  return `<ol class="step-list" aria-label="${escapeHtml(opts.words.title)}">${items.join('')}</ol>`;
}
