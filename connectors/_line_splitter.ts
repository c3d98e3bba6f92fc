/**
 * Splits a byte stream into text lines while tracking byte offsets, the
 * shared core of the line-oriented sources.
 *
 * @module
 */

const LF = 0x0a;
const CR = 0x0d;

/** Options for {@linkcode LineSplitter}. */
export interface LineSplitterOptions {
  /** The stream position of the first byte pushed. Defaults to `0`. */
  offset?: number;
  /** Drop a UTF-8 byte order mark at the start. Defaults to `offset === 0`. */
  skipBom?: boolean;
}

/**
 * Splits pushed byte chunks into lines, without their `\n` or `\r\n`
 * terminator, and knows the byte offset of the next unread line: the resume
 * position of a line-oriented source.
 *
 * It splits on bytes before decoding. A `\n` byte never occurs inside a
 * multi-byte UTF-8 sequence, so a character split across two chunks is
 * decoded whole. Only the unread tail of the stream is buffered.
 */
export class LineSplitter {
  #buffer = new Uint8Array(0);
  #start = 0;
  #end = 0;
  // Where the search for the next "\n" resumes, so a long line is scanned once.
  #scan = 0;
  #offset: number;
  #ended = false;
  #bomPending: boolean;
  #decoder = new TextDecoder("utf-8", { ignoreBOM: true });

  /** @param options Where the stream starts and whether to drop a BOM. */
  constructor(options: LineSplitterOptions = {}) {
    this.#offset = options.offset ?? 0;
    this.#bomPending = options.skipBom ?? this.#offset === 0;
  }

  /** The byte offset of the next line {@linkcode LineSplitter.take} will return. */
  get offset(): number {
    return this.#offset;
  }

  /** Whether {@linkcode LineSplitter.end} was called and every line was taken. */
  get done(): boolean {
    return this.#ended && this.#start === this.#end;
  }

  /** How many pushed bytes are not yet taken as lines. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Whether {@linkcode LineSplitter.end} was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Appends the next bytes of the stream (copied; the caller may reuse `chunk`). */
  push(chunk: Uint8Array): void {
    if (this.#ended) throw new Error("Cannot push to a line splitter after end()");
    const needed = this.#end - this.#start + chunk.length;
    if (this.#end + chunk.length > this.#buffer.length) {
      if (needed > this.#buffer.length) {
        // Grow geometrically so one very long line costs linear time overall.
        const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2, 4096));
        grown.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = grown;
      } else {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      }
      this.#end -= this.#start;
      this.#scan -= this.#start;
      this.#start = 0;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /** Marks the end of the stream: a last line without a terminator becomes takeable. */
  end(): void {
    this.#ended = true;
  }

  /**
   * Takes up to `max` complete lines from what was pushed; fewer (maybe none)
   * when no more complete lines are buffered. When `ends` is given, the byte
   * offset after each line taken (its terminator included) is pushed to it.
   */
  take(max: number, ends?: number[]): string[] {
    const lines: string[] = [];
    if (this.#bomPending && !this.#skipBom()) return lines;
    const buffer = this.#buffer;
    while (lines.length < max && this.#start < this.#end) {
      const newline = buffer.subarray(0, this.#end).indexOf(LF, this.#scan);
      let next: number;
      let stop: number;
      if (newline === -1) {
        this.#scan = this.#end;
        if (!this.#ended) break;
        next = stop = this.#end;
      } else {
        next = newline + 1;
        stop = newline;
      }
      if (stop > this.#start && buffer[stop - 1] === CR) stop--;
      lines.push(this.#decoder.decode(buffer.subarray(this.#start, stop)));
      this.#offset += next - this.#start;
      ends?.push(this.#offset);
      this.#start = this.#scan = next;
    }
    if (this.#start === this.#end) this.#start = this.#end = this.#scan = 0;
    return lines;
  }

  // Drops a leading BOM once enough bytes arrived to tell; returns whether
  // that question is settled, so that lines may be taken.
  #skipBom(): boolean {
    const bom = [0xef, 0xbb, 0xbf];
    const length = Math.min(this.#end - this.#start, 3);
    for (let i = 0; i < length; i++) {
      if (this.#buffer[this.#start + i] !== bom[i]) {
        this.#bomPending = false;
        return true;
      }
    }
    if (length < 3 && !this.#ended) return false;
    this.#bomPending = false;
    if (length === 3) {
      this.#start += 3;
      this.#scan = Math.max(this.#scan, this.#start);
      this.#offset += 3;
    }
    return true;
  }
}
