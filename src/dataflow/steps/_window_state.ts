/**
 * The built-in windows (built-in clock, built-in windower, built-in
 * aggregation) as one {@linkcode KeyedFold}: each key's state is one plain
 * record (its clock's numbers, its open windows as arrays of ids and
 * accumulators, its queue of ordered items), updated a batch at a time,
 * with no per-key clock, windower or logic objects. The rules are those of
 * the generic path in `window.ts` (`KeyLogic` over a `statefulBatch`
 * step), call for call: a batch is grouped by key as the stateful step
 * groups it, keys' timers are set and fired as it sets and fires them, so
 * results, late items and their order are the same.
 *
 * A key with nothing open and nothing queued shrinks to what must
 * survive: nothing, or one number (its watermark in key scope, or its next
 * session id), or in rare cases three.
 *
 * @module
 */

import { callbackError, checkKeyed } from "../_errors.ts";
import type { FoldTimers, KeyedFold, StepContext } from "../graph.ts";
import { type BuiltinClock, checkedEpochMs } from "../time/clock.ts";
import { type BuiltinWindower, LATE_SESSION_ID } from "../time/windowers.ts";
import { warnIfSeconds } from "./_window_time.ts";

/** Tags of the window step's output: `[tag, key, windowId, payload]`. */
export const DOWN = 0;
/** A late item. */
export const LATE = 1;
/** A closed window's metadata. */
export const META = 2;

/**
 * How a built-in window aggregation folds values into one window's plain
 * accumulator. Each function may push values to emit onto `emits`.
 */
export interface WindowAgg {
  /** The accumulator of a window that `value` opens. */
  open(value: unknown, emits: unknown[]): unknown;
  /** Folds `value` into `acc`; returns the new accumulator. */
  add(acc: unknown, value: unknown, emits: unknown[]): unknown;
  /** Merges session `from`'s accumulator into `into`'s; returns the result. */
  merge(into: unknown, from: unknown, emits: unknown[]): unknown;
  /** Emits a closing window's values. */
  close(acc: unknown, emits: unknown[]): void;
}

/** The parameters of a built-in window step. */
export interface WindowFoldSpec {
  readonly clock: BuiltinClock;
  readonly windower: BuiltinWindower;
  readonly agg: WindowAgg;
  readonly ordered: boolean;
  readonly shared: boolean;
  /** What the clock reads of a value, when not the value itself. */
  readonly read?: ((value: unknown) => unknown) | undefined;
}

/** One key's live state: plain numbers and arrays. */
interface KeyRecord {
  readonly key: string;
  // The key's event clock (key scope): the watermark is base + (now − sysMax).
  base: number;
  sysMax: number;
  // Open windows: ids ascending (sliding), or sessions in open-time order.
  ids: number[];
  accs: unknown[];
  // Sessions only: each session's first and last item time, the ids merged into it.
  opens: number[] | null;
  closes: number[] | null;
  merged: number[][] | null;
  nextId: number;
  // Ordered items waiting for the watermark, from qFirst on, sorted by time.
  qAt: number[] | null;
  qv: unknown[] | null;
  qFirst: number;
  // The batch the key was last in, and where its values are in that batch's grouped values.
  batch: number;
  first: number;
  count: number;
  // Partition scope: the order the key's state was made in, and its entry in the close queue.
  seq: number;
  heapDue: number;
  // The key's timer as last set outside a wake-up, which the runtime holds until it fires
  // (undefined: none); NaN when not known. A time set again unchanged is not set again.
  timerAt: number | undefined;
}

/** What a key with nothing open keeps: nothing, one number, or `[base, sysMax, nextId]`. */
type Idle = number | [base: number, sysMax: number, nextId: number];

/** One run's state of a built-in window step on one worker. */
export interface WindowFoldState {
  readonly ctx: StepContext;
  readonly timers: FoldTimers;
  readonly keys: Map<string, KeyRecord | Idle>;
  // System time as the step last read it; it never goes back.
  now: number;
  // Partition scope: the shared event clock, and the watermark every key has been advanced to.
  base: number;
  sysMax: number;
  swept: number;
  // Partition scope: a min-heap of keys by the earliest event time they need advancing at.
  heapDue: number[];
  heapRec: KeyRecord[];
  seq: number;
  batch: number;
  // Whether the first timestamp was checked for looking like seconds.
  checked: boolean;
  // With recovery on: the keys changed since the last snapshot.
  readonly changes: Set<string> | undefined;
}

/** A copy of one key's state as plain data, for snapshots. */
export interface KeySnapshot {
  readonly clock: readonly [base: number, sysMax: number] | null;
  readonly ids: readonly number[];
  readonly accs: readonly unknown[];
  readonly sessions: {
    readonly opens: readonly number[];
    readonly closes: readonly number[];
    readonly merged: readonly (readonly number[])[];
    readonly nextId: number;
  } | null;
  readonly queue: readonly (readonly [number, unknown])[];
}

/** A copy of a built-in window step's state as plain data. */
export interface WindowFoldSnapshot {
  readonly clock: readonly [base: number, sysMax: number] | null;
  readonly keys: readonly (readonly [string, KeySnapshot | Idle])[];
}

/** A built-in window step's fold, with a snapshot of its state as plain data. */
export interface WindowFold extends KeyedFold<WindowFoldState> {
  /** Copies the state as plain data (no functions, symbols or class instances). */
  snapshot(state: WindowFoldState): WindowFoldSnapshot;
}

/**
 * Builds the fold of a built-in window step at `path`.
 *
 * @param path The step path, for errors.
 * @param spec The clock, windower, aggregation and options.
 * @returns The fold.
 */
export function windowFold(path: string, spec: WindowFoldSpec): WindowFold {
  const { clock, windower, agg, ordered, shared, read } = spec;
  const event = clock.kind === "event";
  const tsGetter = clock.kind === "event" ? clock.tsGetter : undefined;
  const wait = clock.kind === "event" ? clock.wait : 0;
  const nowGetter = clock.kind === "event" ? clock.nowGetter : undefined;
  const sessions = windower.kind === "session";
  const length = windower.kind === "sliding" ? windower.length : 0;
  const offset = windower.kind === "sliding" ? windower.offset : 0;
  const alignTo = windower.kind === "sliding" ? windower.alignTo : 0;
  const tumbling = !sessions && length === offset;
  const gap = windower.kind === "session" ? windower.gap : 0;
  // A key keeps its own clock's numbers only with an event clock in key scope.
  const clockPerKey = event && !shared;
  const emitted: unknown[] = [];

  // --- the clock ---

  // Reads system time, as a clock's beforeBatch/onNotify does.
  function tick(state: WindowFoldState): number {
    const read = nowGetter === undefined ? state.ctx.now() : nowGetter();
    if (read > state.now) state.now = read;
    return state.now;
  }

  function watermarkOf(base: number, sysMax: number, now: number): number {
    return base === -Infinity ? -Infinity : base + (now - sysMax);
  }

  // The watermark after stamping `ts`; moves the key's (or partition's) clock.
  function stamp(state: WindowFoldState, rec: KeyRecord, ts: number): number {
    const candidate = ts - wait;
    if (clockPerKey) {
      const current = watermarkOf(rec.base, rec.sysMax, state.now);
      if (candidate > current) {
        rec.base = candidate;
        rec.sysMax = state.now;
        return candidate;
      }
      return current;
    }
    const current = watermarkOf(state.base, state.sysMax, state.now);
    if (candidate > current) {
      state.base = candidate;
      state.sysMax = state.now;
      return candidate;
    }
    return current;
  }

  function currentWatermark(state: WindowFoldState, rec: KeyRecord | undefined): number {
    if (!event) return state.now;
    return clockPerKey
      ? watermarkOf(rec!.base, rec!.sysMax, state.now)
      : watermarkOf(state.base, state.sysMax, state.now);
  }

  function toSystem(state: WindowFoldState, rec: KeyRecord, ts: number): number | undefined {
    if (!event) return Number.isFinite(ts) ? ts : undefined;
    const base = clockPerKey ? rec.base : state.base;
    if (base === -Infinity || !Number.isFinite(ts)) return undefined;
    return (clockPerKey ? rec.sysMax : state.sysMax) + (ts - base);
  }

  // --- records ---

  function newRecord(state: WindowFoldState, key: string, idle: Idle | undefined): KeyRecord {
    let base = -Infinity;
    let sysMax = -Infinity;
    let nextId = 0;
    if (typeof idle === "number") {
      if (clockPerKey) base = idle, sysMax = 0;
      else nextId = idle;
    } else if (idle !== undefined) {
      [base, sysMax, nextId] = idle;
    }
    return {
      key,
      base,
      sysMax,
      ids: [],
      accs: [],
      opens: sessions ? [] : null,
      closes: sessions ? [] : null,
      merged: sessions ? [] : null,
      nextId,
      qAt: null,
      qv: null,
      qFirst: 0,
      batch: 0,
      first: 0,
      count: 0,
      seq: state.seq++,
      heapDue: NaN,
      timerAt: NaN,
    };
  }

  function isIdle(rec: KeyRecord): boolean {
    return rec.ids.length === 0 && (rec.qAt === null || rec.qFirst === rec.qAt.length);
  }

  // What an idle key keeps, or undefined for nothing.
  function idleOf(rec: KeyRecord): Idle | undefined {
    if (clockPerKey) {
      // One number, base − sysMax, when it gives the same watermarks exactly.
      const d = rec.base - rec.sysMax;
      if (!sessions && Number.isSafeInteger(rec.base) && Number.isSafeInteger(rec.sysMax)) {
        return d;
      }
      return [rec.base, rec.sysMax, rec.nextId];
    }
    return sessions ? rec.nextId : undefined;
  }

  function shrink(state: WindowFoldState, rec: KeyRecord): void {
    rec.heapDue = NaN; // drops its close-queue entries
    const idle = idleOf(rec);
    if (idle === undefined) state.keys.delete(rec.key);
    else state.keys.set(rec.key, idle);
  }

  // --- windows ---

  function openTime(id: number): number {
    return alignTo + id * offset;
  }

  function flush(out: unknown[], key: string, id: number): void {
    for (let i = 0; i < emitted.length; i++) out.push([key, [DOWN, key, id, emitted[i]]]);
    emitted.length = 0;
  }

  // Folds `value` into window `id`, opening it if needed.
  function addTo(rec: KeyRecord, id: number, value: unknown, out: unknown[]): void {
    const ids = rec.ids;
    let hi = ids.length;
    let i: number;
    if (hi > 0 && ids[hi - 1] === id) {
      i = hi - 1;
    } else {
      let lo = 0;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ids[mid]! < id) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
    }
    if (i < ids.length && ids[i] === id) {
      rec.accs[i] = agg.add(rec.accs[i], value, emitted);
    } else {
      const acc = agg.open(value, emitted);
      if (i === ids.length) {
        ids.push(id);
        rec.accs.push(acc);
      } else {
        ids.splice(i, 0, id);
        rec.accs.splice(i, 0, acc);
      }
    }
    if (emitted.length > 0) flush(out, rec.key, id);
  }

  function apply(rec: KeyRecord, ts: number, value: unknown, out: unknown[]): void {
    if (sessions) return applySession(rec, ts, value, out);
    const last = Math.floor((ts - alignTo) / offset);
    if (tumbling) return addTo(rec, last, value, out);
    let first = last;
    while (ts < openTime(first - 1) + length) first--;
    for (let id = first; id <= last; id++) addTo(rec, id, value, out);
  }

  function applySession(rec: KeyRecord, ts: number, value: unknown, out: unknown[]): void {
    const opens = rec.opens!;
    const closes = rec.closes!;
    const merged = rec.merged!;
    const ids = rec.ids;
    const accs = rec.accs;
    const near: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (opens[i]! - gap <= ts && ts <= closes[i]! + gap) near.push(i);
    }
    if (near.length === 0) {
      const id = rec.nextId++;
      // After every session opening at or before `ts`, as a stable sort puts it.
      let at = opens.length;
      while (at > 0 && opens[at - 1]! > ts) at--;
      const acc = agg.open(value, emitted);
      ids.splice(at, 0, id);
      opens.splice(at, 0, ts);
      closes.splice(at, 0, ts);
      merged.splice(at, 0, []);
      accs.splice(at, 0, acc);
      if (emitted.length > 0) flush(out, rec.key, id);
      return;
    }
    const into = near[0]!;
    const intoId = ids[into]!;
    opens[into] = Math.min(opens[into]!, ts);
    closes[into] = Math.max(closes[into]!, ts);
    for (let n = 1; n < near.length; n++) {
      const from = near[n]!;
      opens[into] = Math.min(opens[into]!, opens[from]!);
      closes[into] = Math.max(closes[into]!, closes[from]!);
      merged[into]!.push(ids[from]!, ...merged[from]!);
    }
    let acc = agg.add(accs[into], value, emitted);
    if (emitted.length > 0) flush(out, rec.key, intoId);
    for (let n = 1; n < near.length; n++) {
      acc = agg.merge(acc, accs[near[n]!], emitted);
      if (emitted.length > 0) flush(out, rec.key, intoId);
    }
    accs[into] = acc;
    // Drop the merged-away sessions, last first so the indices hold.
    for (let n = near.length - 1; n >= 1; n--) {
      const from = near[n]!;
      ids.splice(from, 1);
      opens.splice(from, 1);
      closes.splice(from, 1);
      merged.splice(from, 1);
      accs.splice(from, 1);
    }
  }

  function late(rec: KeyRecord, ts: number, value: unknown, out: unknown[]): void {
    const key = rec.key;
    if (sessions) {
      out.push([key, [LATE, key, LATE_SESSION_ID, value]]);
      return;
    }
    const last = Math.floor((ts - alignTo) / offset);
    let first = last;
    if (!tumbling) { while (ts < openTime(first - 1) + length) first--; }
    for (let id = first; id <= last; id++) out.push([key, [LATE, key, id, value]]);
  }

  function enqueue(rec: KeyRecord, ts: number, value: unknown): void {
    let at = rec.qAt;
    let queued = rec.qv;
    if (at === null || queued === null) at = rec.qAt = [], queued = rec.qv = [];
    // After every queued item at or before `ts`: ties keep arrival order.
    let lo = rec.qFirst;
    let hi = at.length;
    if (hi === lo || at[hi - 1]! <= ts) {
      lo = hi;
    } else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (at[mid]! <= ts) lo = mid + 1;
        else hi = mid;
      }
    }
    if (lo === at.length) {
      at.push(ts);
      queued.push(value);
    } else {
      at.splice(lo, 0, ts);
      queued.splice(lo, 0, value);
    }
  }

  function queueHead(rec: KeyRecord): number {
    const at = rec.qAt;
    return at === null || rec.qFirst === at.length ? Infinity : at[rec.qFirst]!;
  }

  // Applies the queued values at or before `watermark`, in time order.
  function applyDue(rec: KeyRecord, watermark: number, out: unknown[]): void {
    const queued = rec.qv;
    const at = rec.qAt;
    if (at === null || queued === null) return;
    let first = rec.qFirst;
    while (first < at.length && at[first]! <= watermark) {
      const value = queued[first];
      queued[first] = undefined; // let it go
      apply(rec, at[first]!, value, out);
      first++;
    }
    if (first === at.length) {
      rec.qAt = rec.qv = null;
      first = 0;
    } else if (first >= 64 && first * 2 >= at.length) {
      at.splice(0, first);
      queued.splice(0, first);
      first = 0;
    }
    rec.qFirst = first;
  }

  function closeDue(rec: KeyRecord, watermark: number, out: unknown[]): void {
    const key = rec.key;
    const ids = rec.ids;
    const accs = rec.accs;
    if (sessions) {
      const opens = rec.opens!;
      const closes = rec.closes!;
      const merged = rec.merged!;
      let kept = 0;
      for (let i = 0; i < ids.length; i++) {
        if (closes[i]! + gap < watermark) {
          const id = ids[i]!;
          agg.close(accs[i], emitted);
          flush(out, key, id);
          const meta = { openTime: opens[i]!, closeTime: closes[i]!, mergedIds: [...merged[i]!] };
          out.push([key, [META, key, id, meta]]);
        } else {
          ids[kept] = ids[i]!;
          accs[kept] = accs[i];
          opens[kept] = opens[i]!;
          closes[kept] = closes[i]!;
          merged[kept] = merged[i]!;
          kept++;
        }
      }
      ids.length =
        accs.length =
        opens.length =
        closes.length =
        merged.length =
          kept;
      return;
    }
    let count = 0;
    while (count < ids.length && openTime(ids[count]!) + length <= watermark) count++;
    if (count === 0) return;
    for (let i = 0; i < count; i++) {
      const id = ids[i]!;
      const open = openTime(id);
      agg.close(accs[i], emitted);
      flush(out, key, id);
      out.push([key, [META, key, id, { openTime: open, closeTime: open + length, mergedIds: [] }]]);
    }
    if (count === ids.length) {
      rec.ids = [];
      rec.accs = [];
    } else {
      ids.splice(0, count);
      accs.splice(0, count);
    }
  }

  // Applies the queued values the watermark has passed, then closes windows.
  function advance(rec: KeyRecord, watermark: number, out: unknown[]): void {
    if (queueHead(rec) <= watermark) applyDue(rec, watermark, out);
    closeDue(rec, watermark, out);
  }

  // The earliest event time at which the key has something due, for its timer.
  function dueAt(rec: KeyRecord): number | undefined {
    let close: number | undefined;
    if (sessions) {
      const closes = rec.closes!;
      for (let i = 0; i < closes.length; i++) {
        const t = closes[i]! + gap + 1; // closing needs the watermark past close + gap
        if (close === undefined || t < close) close = t;
      }
    } else if (rec.ids.length > 0) {
      close = openTime(rec.ids[0]!) + length;
    }
    const head = queueHead(rec);
    if (close === undefined) return head === Infinity ? undefined : head;
    return head < close ? head : close;
  }

  // Sets the key's timer to its next due time. Most items move neither the
  // key's first window nor its clock, so the time is often the one the
  // runtime already holds: that call is skipped, saving its map lookups.
  function setTimer(state: WindowFoldState, rec: KeyRecord): void {
    const due = dueAt(rec);
    const at = due === undefined ? undefined : toSystem(state, rec, due);
    if (at === rec.timerAt) return;
    state.timers.set(rec.key, at);
    rec.timerAt = at;
  }

  // --- partition scope: keys by the event time they next need advancing at ---

  // A lower bound of the watermark at which the key has something due.
  function heapKey(rec: KeyRecord): number {
    let due = queueHead(rec);
    if (sessions) {
      const closes = rec.closes!;
      for (let i = 0; i < closes.length; i++) {
        if (closes[i]! + gap < due) due = closes[i]! + gap;
      }
    } else if (rec.ids.length > 0) {
      const close = openTime(rec.ids[0]!) + length;
      if (close < due) due = close;
    }
    return due;
  }

  function heapUpdate(state: WindowFoldState, rec: KeyRecord): void {
    const due = heapKey(rec);
    if (due === Infinity || due >= rec.heapDue) return;
    rec.heapDue = due;
    const dues = state.heapDue;
    const recs = state.heapRec;
    let i = dues.length;
    dues.push(due);
    recs.push(rec);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (dues[parent]! <= due) break;
      dues[i] = dues[parent]!;
      recs[i] = recs[parent]!;
      i = parent;
    }
    dues[i] = due;
    recs[i] = rec;
  }

  function heapPop(state: WindowFoldState): void {
    const dues = state.heapDue;
    const recs = state.heapRec;
    const lastDue = dues.pop()!;
    const lastRec = recs.pop()!;
    const n = dues.length;
    if (n === 0) return;
    let i = 0;
    while (true) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && dues[child + 1]! < dues[child]!) child++;
      if (dues[child]! >= lastDue) break;
      dues[i] = dues[child]!;
      recs[i] = recs[child]!;
      i = child;
    }
    dues[i] = lastDue;
    recs[i] = lastRec;
  }

  // Advances every key with something due at `watermark`, in the order
  // their state was made, as a sweep over all keys would.
  function sweep(state: WindowFoldState, watermark: number, out: unknown[]): void {
    const dues = state.heapDue;
    const recs = state.heapRec;
    const due: KeyRecord[] = [];
    while (dues.length > 0 && dues[0]! <= watermark) {
      const rec = recs[0]!;
      const at = dues[0]!;
      heapPop(state);
      if (rec.heapDue !== at) continue; // stale: moved, or the key went idle
      rec.heapDue = Infinity;
      due.push(rec);
    }
    if (due.length > 1) due.sort((a, b) => a.seq - b.seq);
    for (let i = 0; i < due.length; i++) {
      const rec = due[i]!;
      state.changes?.add(rec.key);
      advance(rec, watermark, out);
      // A key of the current batch is shrunk when the batch is done.
      if (rec.batch !== state.batch && isIdle(rec)) shrink(state, rec);
      else heapUpdate(state, rec);
    }
  }

  // After a key's batch or wake-up: in partition scope, a new watermark advances every key due.
  function advanceAfter(
    state: WindowFoldState,
    rec: KeyRecord,
    watermark: number,
    out: unknown[],
  ): void {
    if (shared && watermark > state.swept) {
      state.swept = watermark;
      heapUpdate(state, rec);
      sweep(state, watermark, out);
    } else {
      advance(rec, watermark, out);
      if (shared) heapUpdate(state, rec);
    }
  }

  // --- one key's values of a batch ---

  function onKeyBatch(
    state: WindowFoldState,
    rec: KeyRecord,
    values: readonly unknown[],
    out: unknown[],
  ): void {
    tick(state);
    let watermark = -Infinity;
    for (let i = rec.first, end = rec.first + rec.count; i < end; i++) {
      const value = values[i];
      let ts: number;
      if (event) {
        const item = read === undefined ? value : read(value);
        ts = checkedEpochMs(path, tsGetter!(item), item);
        watermark = stamp(state, rec, ts);
      } else {
        ts = watermark = state.now;
      }
      if (!state.checked) {
        state.checked = true;
        if (event && !sessions) warnIfSeconds(path, ts, alignTo);
      }
      if (ts < watermark) late(rec, ts, value, out);
      else if (ordered) enqueue(rec, ts, value);
      else apply(rec, ts, value, out);
    }
    advanceAfter(state, rec, watermark, out);
  }

  return {
    init(ctx, timers, changes): WindowFoldState {
      return {
        ctx,
        timers,
        changes,
        keys: new Map(),
        now: -Infinity,
        base: -Infinity,
        sysMax: -Infinity,
        swept: -Infinity,
        heapDue: [],
        heapRec: [],
        seq: 0,
        batch: 0,
        checked: false,
      };
    },

    snapshotKey(state, key) {
      const found = state.keys.get(key);
      if (found === undefined) return undefined;
      if (typeof found === "object" && !Array.isArray(found)) {
        const snapshot = recordSnapshot(found);
        return {
          ...snapshot,
          clock: clockPerKey ? lagClock(state, found.base, found.sysMax) : null,
        };
      }
      const [base, sysMax, nextId] = typeof found === "number"
        ? clockPerKey ? [found, 0, 0] : [-Infinity, -Infinity, found]
        : found;
      return {
        clock: clockPerKey ? lagClock(state, base, sysMax) : null,
        ids: [],
        accs: [],
        sessions: sessions ? { opens: [], closes: [], merged: [], nextId } : null,
        queue: [],
      } satisfies KeySnapshot;
    },

    restoreKey(state, key, snapshot) {
      const { clock, ids, accs, sessions: held, queue } = snapshot as KeySnapshot;
      const now = tick(state);
      const rec = newRecord(state, key, undefined);
      if (clock !== null) [rec.base, rec.sysMax] = [clock[0], now - clock[1]];
      rec.ids = [...ids];
      rec.accs = [...accs];
      if (held !== null) {
        rec.opens = [...held.opens];
        rec.closes = [...held.closes];
        rec.merged = held.merged.map((merged) => [...merged]);
        rec.nextId = held.nextId;
      }
      if (queue.length > 0) {
        rec.qAt = queue.map(([at]) => at);
        rec.qv = queue.map(([, value]) => value);
      }
      state.keys.set(key, rec);
      if (isIdle(rec)) return shrink(state, rec);
      setTimer(state, rec);
      if (shared) heapUpdate(state, rec);
    },

    snapshotShared(state) {
      return shared && event ? lagClock(state, state.base, state.sysMax) : undefined;
    },

    restoreShared(state, snapshots) {
      const now = tick(state);
      // From several workers' clocks (the worker count changed), the least watermark.
      let least: readonly [number, number] | undefined;
      for (const clock of snapshots as (readonly [number, number] | undefined)[]) {
        if (clock === undefined || clock[0] === -Infinity) continue;
        if (least === undefined || clock[0] + clock[1] < least[0] + least[1]) least = clock;
      }
      if (least !== undefined) [state.base, state.sysMax] = [least[0], now - least[1]];
    },

    onBatch(state, batch, out) {
      const batchNumber = ++state.batch;
      const keys = state.keys;
      const touched: KeyRecord[] = [];
      // Keys in order of first arrival, each key's values together, as the stateful step
      // groups them: each item's key in order of first arrival, then the values placed
      // key by key into one array (a counting sort), not pushed onto an array per key.
      const n = batch.length;
      const slots = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const item = batch[i];
        checkKeyed(path, item);
        const key = item[0];
        let rec = keys.get(key);
        if (typeof rec !== "object" || Array.isArray(rec)) {
          rec = newRecord(state, key, rec);
          keys.set(key, rec);
        }
        if (rec.batch !== batchNumber) {
          rec.batch = batchNumber;
          rec.count = 0;
          rec.first = touched.length;
          touched.push(rec);
        }
        rec.count++;
        slots[i] = rec.first;
      }
      const next = new Int32Array(touched.length);
      for (let k = 0, at = 0; k < touched.length; k++) {
        const rec = touched[k]!;
        next[k] = rec.first = at;
        at += rec.count;
      }
      const values: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) values[next[slots[i]!]!++] = (batch[i] as [string, unknown])[1];
      for (let i = 0; i < touched.length; i++) {
        const rec = touched[i]!;
        state.changes?.add(rec.key);
        try {
          onKeyBatch(state, rec, values, out);
        } catch (error) {
          throw callbackError(
            path,
            "onBatch()",
            rec.count === 1 ? values[rec.first] : values.slice(rec.first, rec.first + rec.count),
            error,
            rec.key,
          );
        }
        setTimer(state, rec);
      }
      state.batch++; // the batch is done: its keys may shrink in later sweeps
      for (let i = 0; i < touched.length; i++) {
        const rec = touched[i]!;
        if (isIdle(rec)) shrink(state, rec);
      }
    },

    onNotify(state, key, out) {
      const found = state.keys.get(key);
      const rec = typeof found === "object" && !Array.isArray(found) ? found : undefined;
      if (rec === undefined && !shared) return state.timers.set(key, undefined);
      if (rec !== undefined) state.changes?.add(key);
      // The runtime cleared the key's timer before this call.
      if (rec !== undefined) rec.timerAt = NaN;
      tick(state);
      const watermark = currentWatermark(state, rec);
      try {
        if (rec === undefined) {
          if (watermark > state.swept) {
            state.swept = watermark;
            sweep(state, watermark, out);
          }
          return state.timers.set(key, undefined);
        }
        advanceAfter(state, rec, watermark, out);
      } catch (error) {
        throw callbackError(path, "onNotify()", undefined, error, key);
      }
      setTimer(state, rec);
      // The runtime may hold the time set during a wake-up later than asked (a millisecond
      // after now at least), so it is not known.
      rec.timerAt = NaN;
      if (state.keys.get(key) === rec && isIdle(rec)) shrink(state, rec);
    },

    onEof(state, out) {
      const live: KeyRecord[] = [];
      for (const rec of state.keys.values()) {
        if (typeof rec === "object" && !Array.isArray(rec)) live.push(rec);
      }
      live.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
      for (const rec of live) {
        try {
          advance(rec, Infinity, out);
        } catch (error) {
          throw callbackError(path, "onEof()", undefined, error, rec.key);
        }
      }
      state.keys.clear();
    },

    snapshot(state) {
      const keys: [string, KeySnapshot | Idle][] = [];
      for (const [key, rec] of state.keys) {
        if (typeof rec !== "object") keys.push([key, rec]);
        else if (Array.isArray(rec)) keys.push([key, [rec[0], rec[1], rec[2]]]);
        else keys.push([key, recordSnapshot(rec)]);
      }
      return { clock: shared && event ? [state.base, state.sysMax] : null, keys };
    },
  };

  // A clock as its watermark and how far system time had moved since it last
  // advanced, not as a system-time instant: restored as "now minus that lag",
  // downtime between runs does not move the watermark.
  function lagClock(state: WindowFoldState, base: number, sysMax: number): [number, number] {
    return base === -Infinity ? [-Infinity, 0] : [base, state.now - sysMax];
  }

  function recordSnapshot(rec: KeyRecord): KeySnapshot {
    const queue: [number, unknown][] = [];
    if (rec.qAt !== null) {
      for (let i = rec.qFirst; i < rec.qAt.length; i++) queue.push([rec.qAt[i]!, rec.qv![i]]);
    }
    return {
      clock: clockPerKey ? [rec.base, rec.sysMax] : null,
      ids: [...rec.ids],
      accs: rec.accs.map(copyAcc),
      sessions: sessions
        ? {
          opens: [...rec.opens!],
          closes: [...rec.closes!],
          merged: rec.merged!.map((ids) => [...ids]),
          nextId: rec.nextId,
        }
        : null,
      queue,
    };
  }
}

// An accumulator as it is now, not as later items change it.
function copyAcc(acc: unknown): unknown {
  return typeof acc === "object" && acc !== null ? structuredClone(acc) : acc;
}
