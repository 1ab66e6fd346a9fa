// OpenFeature's Node SDK with the OFREP provider against liftd: a flag is an experiment,
// the targeting key is the shopper, the value is the variant's payload. The evaluation
// logs the exposure, as GET /v1/assign does.
//
//   cd examples && npm ci
//   LIFT_URL=http://127.0.0.1:8080 node openfeature/evaluate.js shopper-42
"use strict";
const { OpenFeature } = require("@openfeature/server-sdk");
const { OFREPProvider } = require("@openfeature/ofrep-provider");

(async () => {
  const unit = process.argv[2] || "shopper-42";
  const headers = process.env.LIFT_API_KEY ? { Authorization: `Bearer ${process.env.LIFT_API_KEY}` }
    : undefined; // needed only when liftd runs with --assign-requires-key
  await OpenFeature.setProviderAndWait(new OFREPProvider({
    baseUrl: process.env.LIFT_URL || "http://127.0.0.1:8080", headers }));
  const client = OpenFeature.getClient();
  const d = await client.getObjectDetails("homepage_recs", { recs: "bestsellers" },
    { targetingKey: unit, device: "mobile" });
  console.log(`${unit}: homepage_recs = ${JSON.stringify(d.value)} (variant ${d.variant}, ` +
    `reason ${d.reason}${d.errorCode ? `, error ${d.errorCode}` : ""})`);
  await OpenFeature.close();
  process.exit(d.errorCode ? 1 : 0);
})();
