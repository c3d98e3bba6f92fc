// The part of csv-parse's web-stream entry point that CSVSource uses. The
// package's own declarations pull in all of @types/node for Node's stream
// classes, which this entry point does not use; describing the one function
// here keeps those types out of the documentation and the type check.

/** A CSV parser as a web `TransformStream` of bytes in; records go to `on_record`. */
export declare function parse(options?: Record<string, unknown>): TransformStream;
