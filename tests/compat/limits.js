// What lift's config cannot say in GrowthBook's payload, as docs/api.md states it ("What the
// payload cannot express"). Each difference is checked to be exactly the documented one,
// so the documentation stays true:
//  1. consent: the SDK's switch is `enabled: false`; experiments then give their default
//     (the control's payload) and track nothing, as /v1/assign?consent=0 does, but QA
//     overrides (force rules) still apply in the SDK, where lift gives the control;
//  2. a dotted attribute name ("geo.country") is a path in GrowthBook: the SDK reads it
//     from nested attributes {geo: {country}}, not from a flat "geo.country" key;
//  3. the SDK's `id` attribute is the unit: an audience on an attribute named "id" sees
//     the unit in the SDK;
//  4. start and end times are applied when the payload is made (an SDK that does not
//     stream sees the change at its next fetch): the payload changes at a start time and
//     streams push it.
//   node limits.js      (env: see lib.js)
"use strict";
const lib = require("./lib");
const { GrowthBook, GrowthBookClient, setPolyfills } = require("@growthbook/growthbook");

setPolyfills({ EventSource: lib.recordingEventSource() });
const check = (cond, msg) => { if (!cond) lib.fail(msg); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const assign = async (q) => (await (await fetch(`${lib.env.url}/v1/assign?${q}`)).json())
  .assignments;

(async () => {
  const client = new GrowthBookClient({ apiHost: lib.env.url, clientKey: lib.env.clientKey });
  await client.init({ timeout: 3000 });

  // 1. consent
  const tracked = [];
  const off = { attributes: { id: "shopper-7", device: "mobile" }, enabled: false,
    trackingCallback: (e) => tracked.push(e.key) };
  const recs = client.evalFeature("hp_recs", off);
  check(recs.source === "defaultValue" && recs.value.recs === "bestsellers",
    "enabled:false does not give the default");
  const qa = client.evalFeature("hp_recs", { ...off, attributes: { id: "qa-1" } });
  const liftQa = (await assign("unit=qa-1&consent=0&expose=0"))
    .find((a) => a.experiment === "hp_recs");
  check(qa.source === "force" && qa.value.recs === "two-tower" &&
    liftQa.variant === "control" && liftQa.in_experiment === false,
  "the consent difference for QA overrides is not the documented one");
  check(tracked.length === 0, "the SDK tracked without consent");
  console.log("1. consent: enabled:false -> default, nothing tracked; a QA override still " +
    "applies in the SDK (two-tower) where /v1/assign?consent=0 gives control");

  // 2. dotted names: nested in the SDK, flat in lift.
  const geoUnit = "shopper-geo";
  const base = { id: geoUnit, age: "30", visits: "3" };
  const nested = client.evalFeature("geo_promo", { attributes: { ...base, geo: { country: "DE" } } });
  const flat = client.evalFeature("geo_promo", { attributes: { ...base, "geo.country": "DE" } });
  const lifted = (await assign(`unit=${geoUnit}&attr.geo.country=DE&attr.age=30&attr.visits=3` +
    "&expose=0")).some((a) => a.experiment === "geo_promo");
  check(nested.source === "experiment" && flat.source !== "experiment" && lifted,
    "dotted attribute names do not behave as documented");
  console.log("2. geo.country: the SDK reads {geo: {country}} (in), not a flat \"geo.country\" " +
    "key (out); /v1/assign's attr.geo.country (in)");

  // 3. and 4. need config of their own.
  const start = new Date(Date.now() + 1500).toISOString();
  lib.psql(`BEGIN;
    INSERT INTO lift.audiences (key) VALUES ('by_id');
    INSERT INTO lift.audience_conditions (audience, attribute, op, value)
      VALUES ('by_id', 'id', 'eq', '"vip-7"');
    INSERT INTO lift.experiments (key, name, status, audience) VALUES ('id_test', 'id', 'running', 'by_id');
    INSERT INTO lift.variants (experiment, key, weight) VALUES ('id_test', 'a', 1), ('id_test', 'b', 0);
    INSERT INTO lift.experiments (key, name, status, start_at)
      VALUES ('scheduled', 'Scheduled', 'running', '${start}');
    INSERT INTO lift.variants (experiment, key, weight, payload)
      VALUES ('scheduled', 'a', 1, '{"on": true}'), ('scheduled', 'b', 0, '{}');
    COMMIT;`);
  const gb = new GrowthBook({ apiHost: lib.env.url, clientKey: lib.env.clientKey,
    attributes: { id: "u-3" } });
  let t = 0;
  do {
    await sleep(20);
    await client.refreshFeatures();
  } while (!client.getFeatures().id_test && ++t < 100);
  const inSdk = client.evalFeature("id_test", { attributes: { id: "u-3" } }).source ===
    "experiment";
  const vipSdk = client.evalFeature("id_test", { attributes: { id: "vip-7" } }).source ===
    "experiment";
  const inLift = (await assign("unit=u-3&attr.id=vip-7&expose=0"))
    .some((a) => a.experiment === "id_test");
  check(!inSdk && vipSdk && inLift, "an audience on \"id\" does not behave as documented");
  console.log("3. an audience on attribute \"id\": the SDK compares the unit (vip-7 in, u-3 " +
    "out); /v1/assign compares attr.id (u-3 with attr.id=vip-7 in)");

  await gb.init({ timeout: 3000, streaming: true });
  check(!gb.getFeatures().scheduled.rules, "a scheduled experiment has rules before its start");
  const waitUntil = Date.parse(start);
  let pushedAt = 0;
  while (!pushedAt && Date.now() < waitUntil + 2000) {
    if (gb.getFeatures().scheduled.rules) pushedAt = Date.now();
    await sleep(5);
  }
  check(pushedAt, "the start time did not reach the streaming SDK");
  console.log(`4. start time ${start}: the stream pushed the experiment's rules ` +
    `${pushedAt - waitUntil} ms after it; the SDK now serves ` +
    `${JSON.stringify(gb.getFeatureValue("scheduled", null))}`);
  check(pushedAt - waitUntil < 1000, "the start time took a second or more to reach the SDK");
  gb.destroy();
  client.destroy();
  lib.flush();
  process.exit(0);
})().catch((e) => lib.fail(e.stack));
