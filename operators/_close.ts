/**
 * Closing iterators that an operator drives by hand (`merge`, `zip`, `batch`,
 * `abortable`), where `for await` cannot do it for us.
 *
 * @module
 */

/**
 * Calls `iterator.return()` so the source runs its `finally` and frees what it
 * holds.
 *
 * An idle iterator is awaited, so its cleanup is over (and its error, if any,
 * surfaces) before the consumer moves on, as with `for await`. A `busy`
 * iterator, one with a `next()` still in flight, is not awaited: an async
 * generator queues `return()` behind that `next()`, and a quiet source must
 * not stall the consumer's `break`. Its cleanup runs once the `next()`
 * settles; an error from it has no one left to reach and is dropped.
 */
export async function close(iterator: AsyncIterator<unknown>, busy: boolean): Promise<void> {
  let closing: Promise<unknown>;
  try {
    closing = Promise.resolve(iterator.return?.());
  } catch (error) {
    closing = Promise.reject(error);
  }
  if (busy) closing.catch(() => {});
  else await closing;
}
