// GrowthBook's official JavaScript SDK, pointed at liftd, against /v1/assign: the same
// variant (and payload) for every shopper in every experiment of tests/compat/config.sql.
//   node growthbook_parity.js [SHOPPERS]      (env: see lib.js)
"use strict";
const lib = require("./lib");
const { GrowthBookClient } = require("@growthbook/growthbook");

const N = Number(process.argv[2] || 10000);

// What the SDK gives one shopper: {experiment: {variant, payload, override}} for the
// experiments it is in (a QA override is a force rule "lift:override:<variant>").
function sdkAnswer(client, features, s) {
  const out = {};
  for (const key of Object.keys(features)) {
    if (key.startsWith("$holdout:")) continue;
    const r = client.evalFeature(key, { attributes: s.attrs });
    if (r.source === "experiment" && r.experimentResult.inExperiment)
      out[key] = { variant: r.experimentResult.key, payload: r.value, override: false };
    else if (r.source === "force" && r.ruleId.startsWith("lift:override:"))
      out[key] = { variant: r.ruleId.slice("lift:override:".length), payload: r.value,
        override: true };
  }
  return out;
}

(async () => {
  const t0 = Date.now();
  const client = new GrowthBookClient({ apiHost: lib.env.url, clientKey: lib.env.clientKey });
  const init = await client.init({ timeout: 5000 });
  if (!init.success) lib.fail(`GrowthBook SDK init: ${init.source} ${init.error}`);
  const features = client.getFeatures();
  const experiments = Object.keys(features).filter((k) => !k.startsWith("$holdout:"));
  const shoppers = lib.shoppers(N, 20261121);
  const served = await lib.parallel(shoppers, 16, lib.assign);

  const stats = {}; // experiment -> {in, override, variants: {key: n}}
  for (const e of experiments) stats[e] = { in: 0, override: 0, variants: {} };
  let mismatches = 0, heldOut = 0, heldOutElsewhere = 0;
  shoppers.forEach((s, i) => {
    const want = served[i], got = sdkAnswer(client, features, s);
    const keys = new Set([...Object.keys(want), ...Object.keys(got)]);
    for (const k of keys) {
      const w = want[k], g = got[k];
      const same = w && g && w.variant === g.variant && w.override === g.override &&
        JSON.stringify(w.payload) === JSON.stringify(g.payload);
      if (!same && mismatches++ < 10)
        console.error(`mismatch ${s.unit} ${k}: /v1/assign ${JSON.stringify(w)} SDK ` +
          `${JSON.stringify(g)} attrs ${JSON.stringify(s.attrs)}`);
      if (w) {
        stats[k].in++;
        stats[k].override += w.override;
        stats[k].variants[w.variant] = (stats[k].variants[w.variant] || 0) + 1;
      }
    }
    if (want.global_holdout && want.global_holdout.variant === "holdout") {
      heldOut++;
      heldOutElsewhere += Object.keys(got).length - 1; // the SDK must put them nowhere else
    }
  });

  console.log(`GrowthBook SDK ${client.version} vs /v1/assign: ${N} shoppers x ` +
    `${experiments.length} experiments, ${mismatches} mismatches (${Date.now() - t0} ms)`);
  for (const [k, v] of Object.entries(stats))
    console.log(`  ${k.padEnd(15)} in ${String(v.in).padStart(5)}  overrides ${v.override}  ` +
      JSON.stringify(v.variants));
  console.log(`  held out by global_holdout: ${heldOut} shoppers, in ${heldOutElsewhere} other ` +
    `experiments through the SDK`);
  if (mismatches) lib.fail(`${mismatches} differences between the SDK and /v1/assign`);
  if (heldOut < N * 0.05 || heldOutElsewhere) lib.fail("the holdout is not kept by the SDK");
  // Every targeting path must have been exercised, or agreement proves little.
  for (const [k, v] of Object.entries(stats)) {
    if (k === "old_test") {
      if (v.in) lib.fail("a stopped experiment assigned shoppers");
      continue;
    }
    if (v.in < 20 || (k !== "global_holdout" && v.in > N - 20)) lib.fail(`${k}: ${v.in} of ${N} in: targeting not exercised`);
  }
  if (!stats.hp_recs.override || !stats.checkout_aa.override) lib.fail("overrides not exercised");
  client.destroy();
  lib.flush();
})().catch((e) => lib.fail(e.stack));
