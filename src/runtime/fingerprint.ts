/**
 * A flow's graph fingerprint: what every worker (and, in a cluster, every
 * process) must agree on before they exchange items.
 *
 * @module
 */

import type { Dataflow } from "../dataflow/dataflow.ts";
import { upstreamPorts } from "../dataflow/graph.ts";

/**
 * The flow's id, then one line per step in the order the flow added them:
 * its path, its kind and the ports it reads (`path:port`). Two workers that
 * built the same graph give the same text; any step added, removed,
 * renamed, reordered or rewired changes it. Readable on purpose, so a
 * mismatch can be reported by the first line that differs.
 *
 * @param flow The flow.
 * @returns The fingerprint.
 */
export function flowFingerprint(flow: Dataflow): string {
  const lines = [`flow ${flow.id}`];
  for (const node of flow.nodes) {
    const ups = upstreamPorts(node).map((port) => `${port.node.path}:${port.name}`);
    lines.push(`${node.path} ${node.kind}${ups.length > 0 ? ` <- ${ups.join(", ")}` : ""}`);
  }
  return lines.join("\n");
}

/**
 * The first difference between two fingerprints, in words, or `undefined`
 * when they are equal.
 *
 * @param expected The reference fingerprint.
 * @param actual The one to check.
 * @returns `"step 3 is \"f.b map\", expected \"f.a map\""`, or the like.
 */
export function fingerprintDifference(expected: string, actual: string): string | undefined {
  if (expected === actual) return undefined;
  const want = expected.split("\n");
  const got = actual.split("\n");
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    if (want[i] === got[i]) continue;
    if (got[i] === undefined) return `it lacks step "${want[i]}" and those after it`;
    if (want[i] === undefined) return `it has an extra step "${got[i]}"`;
    return i === 0
      ? `it built ${got[i]}, expected ${want[i]}`
      : `it has step "${got[i]}" where "${want[i]}" was expected`;
  }
  return "it differs";
}
