// GrowthBook's SDK streaming from liftd: a committed config change must reach a running SDK
// over GET /sub/{clientKey} within a second. Each round changes a payload with psql and
// times, from just before psql starts, until the SDK serves the new value.
//   node sse_latency.js [ROUNDS]      (env: see lib.js)
"use strict";
const lib = require("./lib");
const { GrowthBook, setPolyfills } = require("@growthbook/growthbook");

setPolyfills({ EventSource: lib.recordingEventSource() });
const ROUNDS = Number(process.argv[2] || 5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  const gb = new GrowthBook({ apiHost: lib.env.url, clientKey: lib.env.clientKey,
    attributes: { id: "sse-shopper" } });
  const init = await gb.init({ timeout: 5000, streaming: true });
  if (!init.success) lib.fail(`init: ${init.source} ${init.error}`);
  const value = () => gb.getFeatures().checkout_aa.defaultValue.round;
  const times = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const want = round;
    await sleep(100); // let the stream settle between rounds
    const t0 = process.hrtime.bigint();
    lib.psql(`UPDATE lift.variants SET payload = '{"checkout": "v1", "round": ${round}}' ` +
      `WHERE experiment = 'checkout_aa' ` +
      `AND key = 'a'`);
    const committed = process.hrtime.bigint();
    while (value() !== want) {
      if (Number(process.hrtime.bigint() - t0) / 1e6 > 3000)
        lib.fail(`round ${round}: the SDK still serves ${value()} after 3 s`);
      await sleep(2);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    times.push(ms);
    console.log(`round ${round}: change reached the SDK in ${ms.toFixed(1)} ms ` +
      `(${(Number(process.hrtime.bigint() - committed) / 1e6).toFixed(1)} ms after COMMIT returned)`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`SSE: config change -> GrowthBook SDK over /sub: median ${sorted[sorted.length >> 1]
    .toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms over ${ROUNDS} rounds`);
  gb.destroy();
  lib.flush();
  if (sorted[sorted.length - 1] >= 1000) lib.fail("a change took a second or more");
  process.exit(0);
})().catch((e) => lib.fail(e.stack));
