// Fuzz: arbitrary (and mutated valid) byte streams never make the splitter or
// decoder throw; a stream always ends in messages or in one NOTIFICATION value.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeMessage, encodeKeepalive, type BgpMessage } from "./messages.ts";
import type { NotificationValue } from "./notification-error.ts";
import { encodeOpen } from "./open.ts";
import { MessageSplitter } from "./splitter.ts";
import { openArb, updateArb } from "./test-arbitraries.ts";
import { encodeUpdate } from "./update.ts";

type Outcome = { messages: BgpMessage[]; notification?: NotificationValue };

function run(chunks: readonly Uint8Array[], fourOctetAs: boolean): Outcome {
  const splitter = new MessageSplitter();
  const messages: BgpMessage[] = [];
  for (const chunk of chunks) {
    for (const f of splitter.push(chunk)) {
      if (!f.ok) return { messages, notification: f.notification };
      const d = decodeMessage(f.frame, { fourOctetAs });
      if (!d.ok) return { messages, notification: d.notification };
      messages.push(d.message);
    }
  }
  return { messages };
}

function checkOutcome(o: Outcome): void {
  if (o.notification === undefined) return;
  expect(o.notification.code).toBeGreaterThanOrEqual(1);
  expect(o.notification.code).toBeLessThanOrEqual(7);
  expect(o.notification.data).toBeInstanceOf(Uint8Array);
}

/** A valid frame with a few bytes after the header overwritten (type/length kept plausible). */
const mutatedFrameArb = fc
  .tuple(
    fc.oneof(
      openArb.map(encodeOpen),
      updateArb(true).map((u) => encodeUpdate(u, { fourOctetAs: true })),
      fc.constant(encodeKeepalive()),
    ),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }),
  )
  .map(([frame, edits]) => {
    const out = frame.slice();
    for (const [at, value] of edits) out[16 + (at % (out.length - 16))] = value;
    return out;
  });

/** Random bodies behind a correct header for each type, so the body decoders get exercised. */
const framedNoiseArb = fc
  .tuple(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 600 }))
  .map(([type, body]) => {
    const out = new Uint8Array(19 + body.length).fill(0xff, 0, 16);
    out[16] = out.length >> 8;
    out[17] = out.length & 0xff;
    out[18] = type;
    out.set(body, 19);
    return out;
  });

const streamArb = fc.array(
  fc.oneof(fc.uint8Array({ maxLength: 64 }), mutatedFrameArb, framedNoiseArb),
  {
    maxLength: 6,
  },
);

describe("fuzz", () => {
  it("arbitrary chunks: no throw, ends in messages or a NOTIFICATION", () => {
    fc.assert(
      fc.property(streamArb, fc.boolean(), (chunks, four) => {
        checkOutcome(run(chunks, four));
      }),
      { numRuns: 2000 },
    );
  });

  it("framed noise bodies: decodeMessage never throws for any type", () => {
    fc.assert(
      fc.property(framedNoiseArb, fc.boolean(), (frame, four) => {
        const d = decodeMessage(frame, { fourOctetAs: four });
        if (!d.ok) checkOutcome({ messages: [], notification: d.notification });
      }),
      { numRuns: 5000 },
    );
  });

  it("pure random bytes never throw", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }), (chunks) => {
        checkOutcome(run(chunks, true));
      }),
      { numRuns: 1000 },
    );
  });
});
