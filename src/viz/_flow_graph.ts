/**
 * A flow as boxes and edges, one box per top-level step: what the pictures
 * of a dataflow (`toMermaid`, `dataflowGraph`) draw.
 *
 * @module
 */

import type { Dataflow } from "../dataflow/dataflow.ts";
import { type StepNode, upstreamPorts } from "../dataflow/graph.ts";

/** One top-level step. */
export interface FlowBox {
  /** The step's path, such as `"wordcount.count"`. */
  readonly path: string;
  /** The most telling core kind among its nodes (see `KIND_RANK`). */
  kind: string;
  /** Whether it is a composite step, made of several core nodes. */
  composite: boolean;
}

/** An edge between two boxes, named by the upstream port (`"down"`, `"trues"`, ...). */
export interface FlowEdge {
  readonly from: string;
  readonly to: string;
  readonly port: string;
}

// When a composite is drawn as one box, it is labelled with the most telling
// kind among its inner nodes: a `count` made of a key step and a stateful
// step reads `count (keyedFold)`.
const KIND_RANK: readonly string[] = [
  "input",
  "output",
  "statefulBatch",
  "keyedFold",
  "branch",
  "merge",
  "redistribute",
  "pipe",
  "inspectDebug",
  "flatMapBatch",
];

function rank(kind: string): number {
  const index = KIND_RANK.indexOf(kind);
  return index === -1 ? KIND_RANK.length : index;
}

/** The last segment of a step path: its id. */
export function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf(".") + 1);
}

/** The path of the top-level step a node belongs to: `flow.step`. */
export function topPath(path: string): string {
  const first = path.indexOf(".");
  const second = path.indexOf(".", first + 1);
  return second === -1 ? path : path.slice(0, second);
}

/** Drops self-loops and repeated edges, keeping the first of each. */
export function uniqueEdges<E extends FlowEdge>(edges: Iterable<E>): E[] {
  const seen = new Set<string>();
  const out: E[] = [];
  for (const edge of edges) {
    const key = `${edge.from} ${edge.to} ${edge.port}`;
    if (edge.from === edge.to || seen.has(key)) continue;
    seen.add(key);
    out.push(edge);
  }
  return out;
}

/**
 * What a picture calls a core node: the method the user wrote for a per-item
 * step (`map`, `keyOn`, ...; its stage says which), else the node's kind.
 */
export function stepName(node: StepNode): string {
  return node.kind === "flatMapBatch" && node.stage !== undefined ? node.stage.kind : node.kind;
}

/**
 * The flow's top-level steps in the order they were added, and the edges
 * between them (edges inside a composite are left out).
 */
export function topLevelGraph(flow: Dataflow): { boxes: FlowBox[]; edges: FlowEdge[] } {
  const boxes = new Map<string, FlowBox>();
  for (const node of flow.nodes) {
    const path = topPath(node.path);
    const box = boxes.get(path);
    const composite = node.path !== path;
    if (box === undefined) {
      boxes.set(path, { path, kind: composite ? node.kind : stepName(node), composite });
    } else {
      if (rank(node.kind) < rank(box.kind)) box.kind = node.kind;
      box.composite ||= composite;
    }
  }
  const edges = uniqueEdges(
    flow.nodes.flatMap((node) =>
      upstreamPorts(node).map((port) => ({
        from: topPath(port.node.path),
        to: topPath(node.path),
        port: port.name,
      }))
    ),
  );
  return { boxes: [...boxes.values()], edges };
}
