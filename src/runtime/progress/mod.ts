/**
 * Progress: how a run knows where it is in time, apart from its items. This
 * folder owns epochs (one coordinator tick on the run's clock closes epoch
 * `e` for every input at once, numbered globally, so every input emits the
 * same barriers even when it is idle or a read is pending) and the rules by
 * which a step with several inputs passes barriers, watermarks and idle
 * status on (aligned barriers; the watermark is the minimum over inputs that
 * are neither idle nor ended). It never reads items, sources or sinks, and
 * never touches a platform API: the clock it ticks on is the one the run was
 * given. With several workers the main thread runs the ticker and each
 * worker's {@linkcode Epochs} follows it, so the inputs' code does not change.
 *
 * @module
 */

export { Alignment } from "./alignment.ts";
export { Epochs, EpochTicker } from "./epochs.ts";
