// Every audience operator, against edge values: GrowthBook's SDK (on liftd's payload) and
// /v1/assign must agree on who is in, for strings lift reads as numbers and those it does
// not (" 5", "0x5", "1e999", "Infinity"), booleans, missing attributes, and JSON numbers and
// booleans passed to the SDK (which lift sees as their text, as OFREP gives them).
//   node conditions.js      (env: see lib.js)
"use strict";
const lib = require("./lib");
const { GrowthBookClient } = require("@growthbook/growthbook");

const conditions = {
  eq_str: ["eq", "\"5\""], eq_num: ["eq", "5"], in_mixed: ["in", "[5, \"abc\", \"true\"]"],
  ne_num: ["ne", "5"], nin_mixed: ["nin", "[\"a\", 5]"], ne_str: ["ne", "\"abc\""],
  lt: ["lt", "5"], lte: ["lte", "5"], gt: ["gt", "5"], gte: ["gte", "5"], gt_neg: ["gt", "-1e300"],
  is_true: ["eq", "true"], is_false: ["eq", "false"], not_true: ["ne", "true"],
  exists: ["exists", "true"], absent: ["exists", "false"],
};
const values = ["5", "5.0", "05", "+5", "-5", "5.", ".5", "1e3", "1E3", "4.99", "6", " 5", "5 ",
  "0x5", "inf", "Infinity", "-Infinity", "NaN", "1e999", "-1e999", "", "abc", "a", "true",
  "false", "1", "0", "TRUE", "yes", "٥", "5\n", 5, 5.0, -0, 4.99, 6, 1e21, 1e-7, -1e300, true,
  false, 0, 1, undefined];

(async () => {
  const sql = ["BEGIN;"];
  for (const [name, [op, value]] of Object.entries(conditions)) {
    sql.push(`INSERT INTO lift.audiences (key) VALUES ('a_${name}');`,
      `INSERT INTO lift.audience_conditions (audience, attribute, op, value) VALUES ` +
      `('a_${name}', 'v', '${op}', '${value}');`,
      `INSERT INTO lift.experiments (key, name, status, audience) VALUES ('c_${name}', ` +
      `'${name}', 'running', 'a_${name}');`,
      `INSERT INTO lift.variants (experiment, key, weight) VALUES ('c_${name}', 'in', 1), ` +
      `('c_${name}', 'never', 0);`);
  }
  sql.push("COMMIT;");
  lib.psql(sql.join("\n"));
  const client = new GrowthBookClient({ apiHost: lib.env.url, clientKey: lib.env.clientKey });
  let features = {};
  for (let t = 0; t < 100 && !features.c_absent; t++) { // until liftd has reloaded
    await client.init({ timeout: 3000 });
    features = client.getFeatures();
    if (!features.c_absent) await new Promise((r) => setTimeout(r, 20));
  }
  let checks = 0, mismatches = 0;
  for (const [i, v] of values.entries()) {
    const unit = `cond-${i}`;
    const q = new URLSearchParams({ unit });
    if (v !== undefined) q.append("attr.v", String(v));
    const served = await (await fetch(`${lib.env.url}/v1/assign?${q}&expose=0`)).json();
    const inLift = new Set(served.assignments.map((a) => a.experiment));
    const attributes = v === undefined ? { id: unit } : { id: unit, v };
    for (const name of Object.keys(conditions)) {
      const r = client.evalFeature(`c_${name}`, { attributes });
      const inSdk = r.source === "experiment";
      checks++;
      if (inSdk !== inLift.has(`c_${name}`)) {
        mismatches++;
        console.error(`mismatch ${name} ${JSON.stringify(conditions[name])} value ` +
          `${JSON.stringify(v)} (${typeof v}): lift ${inLift.has(`c_${name}`)}, SDK ${inSdk}`);
      }
    }
  }
  console.log(`conditions: ${Object.keys(conditions).length} operators x ${values.length} edge ` +
    `values = ${checks} checks, ${mismatches} disagreements between the SDK and /v1/assign`);
  client.destroy();
  lib.flush();
  if (mismatches) lib.fail("the SDK and lift disagree on a condition");
})().catch((e) => lib.fail(e.stack));
