// examples/node-storefront/server.js, run as a shop would run it: its server-side GrowthBook
// SDK renders the variant /v1/assign gives, its tracking callback stores the exposure, and
// its checkout stores the order (with the secret key).
//   node storefront_example.js      (env: see lib.js)
"use strict";
const lib = require("./lib");
const net = require("net");
const path = require("path");
const { spawn } = require("child_process");

const check = (cond, msg) => { if (!cond) lib.fail(msg); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

(async () => {
  const port = await freePort();
  const child = spawn("node", [path.resolve(__dirname, "../../examples/node-storefront/server.js")],
    { env: { ...process.env, PORT: String(port), LIFT_API_KEY: lib.env.secretKey },
      stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => { out += d; });
  for (let t = 0; t < 200 && !out.includes("storefront on"); t++) await sleep(25);
  check(out.includes("storefront on"), `the storefront did not start: ${out}`);
  const base = `http://127.0.0.1:${port}`;
  let agree = 0, exposed = 0;
  const units = Array.from({ length: 40 }, (_, i) => `node-shopper-${i}`);
  for (const unit of units) {
    const html = await (await fetch(`${base}/?unit=${unit}`)).text();
    const a = (await (await fetch(`${lib.env.url}/v1/assign?unit=${unit}&expose=0`)).json())
      .assignments.find((x) => x.experiment === "homepage_recs");
    const want = a ? a.payload.recs : "bestsellers";
    check(html.includes(`the server rendered\n  <code>${want}</code>`),
      `${unit}: the page does not show ${want}`);
    agree++;
    exposed += a && !a.override ? 1 : 0;
  }
  const r = await fetch(`${base}/checkout`, { method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ unit: units[0], value: 42.5 }) });
  check(r.status === 200, `checkout: ${r.status}`);
  const list = units.map((u) => `'${u}'`).join(",");
  let stored = 0;
  for (let t = 0; t < 150 && (stored = Number(lib.psql("SELECT count(*) FROM lift.exposures " +
    `WHERE experiment = 'homepage_recs' AND unit IN (${list})`))) < exposed; t++) await sleep(20);
  const orders = Number(lib.psql(`SELECT count(*) FROM lift.events WHERE unit = '${units[0]}' ` +
    "AND type = 'order' AND value = 42.5"));
  console.log(`node storefront: ${agree} pages rendered the variant /v1/assign gives; ` +
    `${stored} of ${exposed} exposures stored from the SDK's tracking callback; ${orders} order`);
  check(stored === exposed && orders === 1, "exposures or the order are missing");
  child.kill("SIGTERM");
  lib.flush();
  process.exit(0);
})().catch((e) => lib.fail(e.stack));
