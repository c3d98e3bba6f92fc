/**
 * A check on a window step's timestamps that cannot fail the run: times
 * that look like Unix seconds given where epoch milliseconds are meant.
 *
 * @module
 */

/** Windows aligned at or after this (2001-09-09) are taken as aligned to a recent date. */
const RECENT_MS = 1e12;
/** Times below this (1973-03-03) are what Unix seconds of today read as in milliseconds. */
const SECONDS_LIKE_MS = 1e11;

/**
 * Warns (once: call it with a step's first timestamp) when `ts` looks like
 * Unix seconds: before 1973 while the windows align to a date after 2001.
 * Such items would all land in one early window (or be late), silently.
 *
 * @param path The window step's path.
 * @param ts The first timestamp the step read, in what it takes for epoch ms.
 * @param alignTo The windower's `alignTo`, in epoch ms.
 * @returns Whether it warned.
 */
export function warnIfSeconds(path: string, ts: number, alignTo: number): boolean {
  if (!(alignTo >= RECENT_MS && ts >= 0 && ts < SECONDS_LIKE_MS)) return false;
  console.warn(
    `runnel: step "${path}": its first timestamp, ${ts} (${
      new Date(ts).toISOString()
    }), is before 1973 while its windows align to ${
      new Date(alignTo).toISOString()
    }; tsGetter must return epoch milliseconds (or a Date), so if these are Unix seconds, multiply by 1000`,
  );
  return true;
}
