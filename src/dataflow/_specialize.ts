/**
 * One compiled copy of a hot loop per step.
 *
 * V8 shares optimized code among all closures of one function literal, so a
 * shared `for` loop that calls each step's callback sees every step's
 * callback at one call site; past a few steps that site turns megamorphic
 * and each call costs several times more than an inlined one. Re-creating
 * the loop's factory from its source gives each step its own function, its
 * own type feedback and an inlined callback.
 *
 * @module
 */

const copies = new Map<string, unknown>();

/**
 * Returns a private copy of `factory` for `tag` (a step path), or `factory`
 * itself where code generation is not allowed (a strict Content Security
 * Policy); the results are the same either way, only speed differs.
 *
 * `factory` must be self-contained: it may use only its parameters and
 * globals, since the copy is compiled outside this module's scope.
 *
 * @param factory A function that builds the loop from its parameters.
 * @param tag What the copy is for; one copy is made per tag.
 * @returns A function with the same behaviour as `factory`.
 */
export function specialize<F extends (...args: never[]) => unknown>(factory: F, tag: string): F {
  const key = `${factory.name}\0${tag}`;
  let copy = copies.get(key) as F | undefined;
  if (copy === undefined) {
    try {
      // The tag in a comment keeps engines from reusing one compiled copy for equal sources.
      copy = new Function(`return (${factory.toString()}); // ${JSON.stringify(tag)}`)() as F;
    } catch {
      copy = factory;
    }
    copies.set(key, copy);
  }
  return copy;
}
