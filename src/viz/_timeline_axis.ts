/**
 * The time axis of `windowTimeline`: tick steps and labels for a
 * range of epoch milliseconds, and times written as ISO text.
 *
 * @module
 */

// Epoch ms a `Date` can show; beyond it no axis label can be written.
export const MAX_TIME = 8.64e15;

// A time as ISO text for labels and errors; infinities as symbols.
export function iso(ms: number): string {
  if (ms === -Infinity) return "−∞";
  if (ms === Infinity) return "∞";
  return Math.abs(ms) <= MAX_TIME ? new Date(ms).toISOString() : String(ms);
}

/** Steps for a time axis, in ms, from a millisecond to a week. */
export const TIME_STEPS: readonly number[] = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  1e3,
  2e3,
  5e3,
  1e4,
  15e3,
  3e4,
  6e4,
  12e4,
  3e5,
  6e5,
  9e5,
  18e5,
  36e5,
  72e5,
  108e5,
  216e5,
  432e5,
  864e5,
  2 * 864e5,
  7 * 864e5,
];

interface Axis {
  readonly ticks: readonly (readonly [time: number, label: string])[];
  readonly caption: string;
}

// A tick's label: the time of day, with the date where it changes.
function tickLabel(t: number, step: number, withDate: boolean): string {
  const [date, time] = isoParts(t);
  if (step >= 864e5) return date;
  const shown = time.slice(0, step >= 6e4 ? 5 : step >= 1e3 ? 8 : 12);
  return withDate ? `${date.slice(-5)} ${shown}` : shown;
}

// The date and the time of day of an ISO string. Years past 9999 (or before
// year 0) have six digits and a sign, so the parts are split at the "T".
export function isoParts(t: number): [date: string, time: string] {
  const d = new Date(t).toISOString();
  const at = d.indexOf("T");
  return [d.slice(0, at), d.slice(at + 1)];
}

export function axis(lo: number, hi: number, px: number): Axis {
  const day = (t: number) => isoParts(t)[0];
  const multiDay = day(lo) !== day(hi);
  let step = 0;
  for (let i = 0; step === 0; i++) {
    const candidate = i < TIME_STEPS.length
      ? TIME_STEPS[i]!
      : 864e5 * [10, 20, 50][(i - TIME_STEPS.length) % 3]! *
        10 ** Math.floor((i - TIME_STEPS.length) / 3);
    const chars = tickLabel(Math.round(lo), candidate, multiDay).length;
    if ((hi - lo) / candidate <= px / (chars * 6.5 + 18)) step = candidate;
  }
  const ticks: [number, string][] = [];
  let lastDay = "";
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) {
    const withDate = multiDay && day(t) !== lastDay;
    lastDay = day(t);
    ticks.push([t === 0 ? 0 : t, tickLabel(t, step, withDate)]);
  }
  const caption = multiDay
    ? `event time (UTC), ${day(lo)} to ${day(hi)}`
    : `event time (UTC) on ${day(lo)}`;
  return { ticks, caption };
}
