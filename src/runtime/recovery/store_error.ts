/**
 * The error of a recovery store that cannot be used as it is. Its own
 * module, with no imports, so that the command line can tell it apart
 * without loading the store (and its codec).
 *
 * @module
 */

/** A recovery directory cannot be used as it is: names the file and what is wrong. */
export class RecoveryStoreError extends Error {
  /** The file or directory at fault. */
  readonly path: string;

  /**
   * Makes the error.
   *
   * @param path The file or directory at fault.
   * @param message What is wrong, as a sentence that names `path`.
   * @param options The underlying error.
   */
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RecoveryStoreError";
    this.path = path;
  }
}
