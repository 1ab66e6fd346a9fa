// OpenFeature's Node SDK with the OFREP provider, pointed at liftd: the same variants and
// payloads as /v1/assign, the reasons, the protocol's error codes, exposures logged as
// /v1/assign logs them, and the bulk endpoint's ETag / If-None-Match.
//   node ofrep_parity.js [SHOPPERS]      (env: see lib.js)
"use strict";
const lib = require("./lib");
const { OpenFeature } = require("@openfeature/server-sdk");
const { OFREPProvider } = require("@openfeature/ofrep-provider");

const N = Number(process.argv[2] || 600);
const url = lib.env.url;

// The OFREP context of a shopper: the unit as targetingKey, the SDK attributes as they are.
function context(s, extra) {
  const { id, ...attrs } = s.attrs;
  return { targetingKey: id, ...attrs, ...extra };
}

async function details(client, key, example, ctx) {
  if (typeof example === "string") return client.getStringDetails(key, "", ctx);
  return client.getObjectDetails(key, {}, ctx);
}

function check(cond, msg) {
  if (!cond) lib.fail(msg);
}

(async () => {
  const t0 = Date.now();
  await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: url,
    fetchImplementation: lib.recordingFetch }));
  const client = OpenFeature.getClient();
  // The flags and their payload types, from the bulk endpoint.
  const bulk = await fetch(`${url}/ofrep/v1/evaluate/flags`, { method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ context: { targetingKey: "x", expose: false } }) });
  const flags = (await bulk.json()).flags;
  const shoppers = lib.shoppers(N, 7);
  const served = await lib.parallel(shoppers, 16, lib.assign);
  let evaluations = 0, mismatches = 0;
  const reasons = {};
  await lib.parallel(shoppers, 8, async (s, i) => {
    for (const f of flags) {
      const d = await details(client, f.key, f.value, context(s, { expose: false }));
      evaluations++;
      reasons[d.reason] = (reasons[d.reason] || 0) + 1;
      const w = served[i][f.key];
      const wantReason = f.key === "old_test" ? "DISABLED"
        : !w ? "DEFAULT" : w.override ? "TARGETING_MATCH" : "SPLIT";
      const ok = !d.errorCode && d.reason === wantReason && (w ? d.variant === w.variant &&
        JSON.stringify(d.value) === JSON.stringify(w.payload) : d.variant === undefined);
      if (!ok && mismatches++ < 10)
        console.error(`mismatch ${s.unit} ${f.key}: /v1/assign ${JSON.stringify(w)} OFREP ` +
          `${JSON.stringify(d)}`);
    }
  });
  console.log(`OpenFeature server SDK + OFREP provider vs /v1/assign: ${N} shoppers x ` +
    `${flags.length} flags = ${evaluations} evaluations, ${mismatches} mismatches, reasons ` +
    `${JSON.stringify(reasons)} (${Date.now() - t0} ms)`);
  check(!mismatches, `${mismatches} differences between OFREP and /v1/assign`);
  check(reasons.SPLIT && reasons.DEFAULT && reasons.TARGETING_MATCH && reasons.DISABLED,
    "not every reason was seen");

  // Error codes, through the provider and raw.
  const expect = async (ctx, key, code) => {
    const d = await client.getObjectDetails(key, {}, ctx);
    check(d.errorCode === code, `${key} ${JSON.stringify(ctx)}: ${d.errorCode} not ${code}`);
  };
  await expect({ targetingKey: "u1" }, "no_such_flag", "FLAG_NOT_FOUND");
  await expect({ device: "mobile" }, "hp_recs", "TARGETING_KEY_MISSING");
  await expect({ targetingKey: "u1", device: ["mobile"] }, "hp_recs", "INVALID_CONTEXT");
  await expect({ targetingKey: "u1", "bad name!": "x" }, "hp_recs", "INVALID_CONTEXT");
  await expect({ targetingKey: "u".repeat(129) }, "hp_recs", "INVALID_CONTEXT");
  const raw = async (path, body, status, code) => {
    const res = await fetch(`${url}${path}`, { method: "POST",
      headers: { "Content-Type": "application/json" }, body });
    const j = await res.json();
    check(res.status === status && j.errorCode === code,
      `${path} ${body}: ${res.status} ${JSON.stringify(j)}, expected ${status} ${code}`);
  };
  await raw("/ofrep/v1/evaluate/flags/hp_recs", "{\"context\": ", 400, "PARSE_ERROR");
  await raw("/ofrep/v1/evaluate/flags/hp_recs", "{\"contxt\": {}}", 400, "PARSE_ERROR");
  await raw("/ofrep/v1/evaluate/flags/hp_recs", "{\"context\": []}", 400, "INVALID_CONTEXT");
  await raw("/ofrep/v1/evaluate/flags", "{\"context\": {}}", 400, "TARGETING_KEY_MISSING");
  await raw("/ofrep/v1/evaluate/flags", "[1]", 400, "PARSE_ERROR");
  console.log("error codes: FLAG_NOT_FOUND, TARGETING_KEY_MISSING, INVALID_CONTEXT (through " +
    "the provider), PARSE_ERROR (raw) as specified");

  // An evaluation logs exposures as /v1/assign does: one per bucketed answer, none without
  // consent, none for overrides.
  const sample = shoppers.slice(0, 50);
  let bucketed = 0;
  for (const [i, s] of sample.entries()) {
    const res = await fetch(`${url}/ofrep/v1/evaluate/flags`, { method: "POST",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ context:
        context(s, { consent: i % 5 !== 0 }) }) });
    const body = await res.json();
    if (i % 5 !== 0) bucketed += body.flags.filter((f) => f.reason === "SPLIT").length;
    else check(body.flags.every((f) => f.reason === "DEFAULT" || f.reason === "DISABLED"),
      "without consent every flag is DEFAULT or DISABLED");
  }
  const units = sample.map((s) => `'${s.unit.replace(/'/g, "''")}'`).join(",");
  let stored = 0;
  for (let t = 0; t < 100 && (stored = Number(lib.psql(
    `SELECT count(*) FROM lift.exposures WHERE unit IN (${units})`))) < bucketed; t++)
    await new Promise((r) => setTimeout(r, 20));
  console.log(`exposures: ${bucketed} bucketed evaluations of ${sample.length} shoppers ` +
    `(1 in 5 without consent), ${stored} exposures stored`);
  check(stored === bucketed && bucketed > 0, "OFREP evaluations do not log as /v1/assign does");

  // Bulk: ETag, If-None-Match -> 304, a change -> a new ETag.
  const post = (headers) => fetch(`${url}/ofrep/v1/evaluate/flags`, { method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ context: { targetingKey: "etag-shopper", expose: false } }) });
  const first = await post({});
  const etag = first.headers.get("etag");
  check(first.status === 200 && /^"[0-9a-f]{16}"$/.test(etag), `bulk ETag ${etag}`);
  const again = await post({ "If-None-Match": etag });
  check(again.status === 304, `If-None-Match: ${again.status}, not 304`);
  lib.psql("UPDATE lift.variants SET payload = '{\"checkout\": \"v2\"}' " +
    "WHERE experiment = 'checkout_aa' AND key = 'b'");
  let changed;
  for (let t = 0; t < 100; t++) {
    changed = await post({ "If-None-Match": etag });
    if (changed.status === 200) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  check(changed.status === 200 && changed.headers.get("etag") !== etag,
    "a config change did not change the bulk ETag");
  console.log(`bulk: ETag ${etag}, If-None-Match -> 304, after a change -> 200 with ` +
    `${changed.headers.get("etag")}`);
  await OpenFeature.close();
  lib.flush();
})().catch((e) => lib.fail(e.stack));
