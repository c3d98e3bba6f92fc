/**
 * Reading Linux's `/proc/PID/stat`, for the adapters' `isProcessAlive`.
 *
 * @module
 */

/**
 * Whether a Linux `/proc/PID/stat` line describes a running process: a
 * zombie (`Z`, ended but not yet reaped by its parent) or a dead one (`X`)
 * is not.
 */
export function isLiveProcStat(stat: string): boolean {
  // The command name, in parentheses, may itself hold ") ": the state follows the last one.
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}
