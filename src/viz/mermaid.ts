/**
 * {@linkcode toMermaid}: a dataflow drawn as a Mermaid flowchart.
 *
 * @module
 */

import type { Dataflow } from "../dataflow/dataflow.ts";
import { type StepNode, upstreamPorts } from "../dataflow/graph.ts";
import { type FlowEdge, lastSegment, stepName, topLevelGraph, uniqueEdges } from "./_flow_graph.ts";

/**
 * Options for {@linkcode toMermaid}.
 *
 * @example Drawing the steps inside a composite
 * ```ts
 * import { Dataflow, type Stream, toMermaid, type ToMermaidOptions } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * function clamp(up: Stream<number>): Stream<number> {
 *   return up.map("lower", (x) => Math.max(0, x)).map("upper", (x) => Math.min(10, x));
 * }
 * const flow = new Dataflow("f");
 * flow.input("inp", [-5, 50]).then(clamp, "clamp")
 *   .output("out", { build: () => ({ writeBatch() {} }) });
 *
 * // By default the composite is one box; recursive draws its inner steps.
 * assert.ok(toMermaid(flow).includes('f_clamp[["clamp (flatMapBatch)"]]'));
 * const options: ToMermaidOptions = { recursive: true };
 * const lines = toMermaid(flow, options).split("\n");
 * assert.ok(lines.includes('    subgraph f_clamp["clamp"]'));
 * assert.ok(lines.includes("    f_clamp_lower --> f_clamp_upper"));
 * ```
 */
export interface ToMermaidOptions {
  /**
   * Draw every core step, with each composite as a subgraph around its
   * inner steps. Defaults to `false`: one box per top-level step.
   */
  recursive?: boolean;
}

// Quotes a label; characters Mermaid would read as syntax or HTML become
// entity codes (`#34;` for `"`), which Mermaid renders as the character.
function label(text: string): string {
  return `"${text.replace(/[#"<>&`]/g, (c) => `#${c.charCodeAt(0)};`)}"`;
}

// Words Mermaid's flowchart grammar reads as keywords, never usable as ids.
const KEYWORDS = new Set([
  "call",
  "class",
  "classdef",
  "click",
  "default",
  "direction",
  "end",
  "flowchart",
  "graph",
  "href",
  "linkstyle",
  "style",
  "subgraph",
]);

// Mermaid ids: letters, digits and `_` only, unique, stable for a given flow.
class IdTable {
  readonly #ids = new Map<string, string>();
  readonly #used = new Set<string>();

  id(key: string): string {
    let id = this.#ids.get(key);
    if (id !== undefined) return id;
    let base = key.replace(/[^A-Za-z0-9_]/g, "_");
    if (KEYWORDS.has(base.toLowerCase())) base = `${base}_`;
    id = base;
    for (let n = 2; this.#used.has(id); n++) id = `${base}_${n}`;
    this.#ids.set(key, id);
    this.#used.add(id);
    return id;
  }
}

function edgeLine(edge: FlowEdge): string {
  return edge.port === "down"
    ? `${edge.from} --> ${edge.to}`
    : `${edge.from} -->|${edge.port}| ${edge.to}`;
}

function topLevel(flow: Dataflow, ids: IdTable, indent: string): string[] {
  const { boxes, edges } = topLevelGraph(flow);
  const lines: string[] = [];
  for (const box of boxes) {
    const text = label(`${lastSegment(box.path)} (${box.kind})`);
    // Composites get Mermaid's subroutine shape: a box with inner steps.
    lines.push(`${indent}${ids.id(box.path)}${box.composite ? `[[${text}]]` : `[${text}]`}`);
  }
  for (const edge of edges) {
    lines.push(`${indent}${edgeLine({ ...edge, from: ids.id(edge.from), to: ids.id(edge.to) })}`);
  }
  return lines;
}

interface Group {
  readonly path: string;
  readonly children: (Group | StepNode)[];
}

function isGroup(child: Group | StepNode): child is Group {
  return !("kind" in child);
}

function groupTree(flow: Dataflow): Group {
  const root: Group = { path: flow.id, children: [] };
  const groups = new Map<string, Group>([[flow.id, root]]);
  for (const node of flow.nodes) {
    const segments = node.path.split(".");
    let parent = root;
    for (let depth = 2; depth < segments.length; depth++) {
      const path = segments.slice(0, depth).join(".");
      let group = groups.get(path);
      if (group === undefined) {
        group = { path, children: [] };
        groups.set(path, group);
        parent.children.push(group);
      }
      parent = group;
    }
    parent.children.push(node);
  }
  return root;
}

function renderGroup(group: Group, ids: IdTable, indent: string, lines: string[]): void {
  for (const child of group.children) {
    if (isGroup(child)) {
      lines.push(`${indent}subgraph ${ids.id(child.path)}[${label(lastSegment(child.path))}]`);
      renderGroup(child, ids, `${indent}  `, lines);
      lines.push(`${indent}end`);
    } else {
      const text = label(`${lastSegment(child.path)} (${stepName(child)})`);
      lines.push(`${indent}${ids.id(child.path)}[${text}]`);
    }
  }
}

function everyNode(flow: Dataflow, ids: IdTable, indent: string): string[] {
  const lines: string[] = [];
  renderGroup(groupTree(flow), ids, indent, lines);
  const edges = uniqueEdges(
    flow.nodes.flatMap((node) =>
      upstreamPorts(node).map((port) => ({
        from: ids.id(port.node.path),
        to: ids.id(node.path),
        port: port.name,
      }))
    ),
  );
  for (const edge of edges) lines.push(`${indent}${edgeLine(edge)}`);
  return lines;
}

/**
 * Draws a dataflow as a Mermaid `flowchart TD`, for `runnel visualize`,
 * notebooks and Markdown (GitHub renders code blocks tagged `mermaid`).
 *
 * The flow is a subgraph titled `<flow id> (Dataflow)`. By default each
 * top-level step is one box labelled with its id and core kind, such as
 * `inp (input)`; a composite step added with `then()` is one subroutine-shaped
 * box labelled with the most telling kind inside it (`count (keyedFold)`
 * for a key step followed by a stateful step). Edges join top-level steps;
 * edges inside a composite are not drawn, and branch outputs are labelled
 * `trues` and `falses`. With `recursive: true` every core step is drawn and
 * each composite becomes a subgraph around its inner steps.
 *
 * Node ids are the step paths with every character other than letters,
 * digits and `_` replaced by `_`; labels are quoted, with `"`, `#`, `<`, `>`,
 * `&` and backquote written as Mermaid entity codes. Steps and edges appear
 * in the order they were added, so the same flow always gives the same text.
 *
 * @param flow The flow to draw.
 * @param options `recursive` to draw every core step.
 * @returns The Mermaid source, one statement per line, ending with a newline.
 *
 * @example Drawing a flow
 * ```ts
 * import { Dataflow, toMermaid } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * const flow = new Dataflow("demo");
 * flow.input("inp", [1, 2, 3])
 *   .map("double", (x) => x * 2)
 *   .output("out", { build: () => ({ writeBatch() {} }) });
 *
 * assert.equal(
 *   toMermaid(flow),
 *   `flowchart TD
 *   subgraph demo["demo (Dataflow)"]
 *     demo_inp["inp (input)"]
 *     demo_double["double (map)"]
 *     demo_out["out (output)"]
 *     demo_inp --> demo_double
 *     demo_double --> demo_out
 *   end
 * `,
 * );
 * ```
 */
export function toMermaid(flow: Dataflow, options: ToMermaidOptions = {}): string {
  const ids = new IdTable();
  const flowId = ids.id(flow.id);
  const body = options.recursive ? everyNode(flow, ids, "    ") : topLevel(flow, ids, "    ");
  return [
    "flowchart TD",
    `  subgraph ${flowId}[${label(`${flow.id} (Dataflow)`)}]`,
    ...body,
    "  end",
    "",
  ].join("\n");
}
