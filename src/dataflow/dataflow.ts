/**
 * {@linkcode Dataflow}: the graph a flow is built into. It is declared in
 * `stream.ts`, beside `Stream`, as each of the two names the other.
 *
 * @module
 */

export { Dataflow } from "./stream.ts";
