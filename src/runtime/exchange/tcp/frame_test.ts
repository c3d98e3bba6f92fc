import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodeFrame,
  FrameReader,
  FrameTooLargeError,
  FrameType,
  FrameWriter,
  readFloat,
  splitChannelFrame,
  splitPieces,
} from "./frame.ts";

Deno.test("FrameReader reads frames back however the bytes are cut", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 300 })), {
        maxLength: 20,
      }),
      fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1 }),
      (frames, cuts) => {
        const writer = new FrameWriter();
        for (const [type, payload] of frames) writer.frame(type, payload);
        const bytes = writer.take();
        const reader = new FrameReader(1_000);
        const read: [number, Uint8Array][] = [];
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const next = Math.min(bytes.length, at + cuts[i % cuts.length]!);
          reader.push(bytes.subarray(at, next));
          at = next;
          for (let frame = reader.next(); frame; frame = reader.next()) {
            read.push([frame.type, frame.payload]);
          }
        }
        assert.deepEqual(read, frames);
        assert.equal(reader.pending, 0);
      },
    ),
  );
});

Deno.test("FrameReader refuses a frame announcing more than its limit before it arrives", () => {
  const reader = new FrameReader(64);
  reader.push(encodeFrame(FrameType.HELLO, new Uint8Array(64)));
  assert.equal(reader.next()!.payload.length, 64);
  reader.push(encodeFrame(FrameType.HELLO, new Uint8Array(65)).subarray(0, 5));
  assert.throws(
    () => reader.next(),
    (error) =>
      error instanceof FrameTooLargeError &&
      error.message === "Cannot read a frame of 65 bytes: the limit is 64 bytes",
  );
});

Deno.test("channel frames carry their channel, pieces and numbers", () => {
  const writer = new FrameWriter();
  writer.channelPieces(FrameType.BATCH, 7, [
    new Uint8Array([1, 2]),
    new Uint8Array([]),
    new Uint8Array([3]),
  ]);
  writer.channelNumber(FrameType.BARRIER, 300_000, 12.5);
  const reader = new FrameReader(100);
  reader.push(writer.take());
  const batch = reader.next()!;
  assert.equal(batch.type, FrameType.BATCH);
  const { channel, body } = splitChannelFrame(batch.payload);
  assert.equal(channel, 7);
  assert.deepEqual(splitPieces(body), [
    new Uint8Array([1, 2]),
    new Uint8Array([]),
    new Uint8Array([3]),
  ]);
  const barrier = reader.next()!;
  assert.equal(splitChannelFrame(barrier.payload).channel, 300_000);
  assert.equal(readFloat(splitChannelFrame(barrier.payload).body), 12.5);
  assert.throws(
    () => splitPieces(new Uint8Array([0, 0, 0, 9, 1])),
    /a piece of 9 bytes runs past the frame/,
  );
  assert.throws(
    () => splitChannelFrame(new Uint8Array(3)),
    /Cannot read a channel frame of 3 bytes/,
  );
});
