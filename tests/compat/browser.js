// The browser example in headless Chromium: examples/node-storefront/server.js serves the
// page, whose script (examples/browser/app.js) runs GrowthBook's SDK with a client key
// allowed for the page's origin. Checks what the page shows and reports, and what liftd
// stored: the exposure and the page view from the browser, the order from the server, no
// order with the client key; then the same page from an origin the key does not allow
// gets nothing from liftd and stores nothing.
//   STOREFRONT_PORT=N node browser.js      (env: see lib.js; LIFT_CLIENT_KEY allows
//                                           http://127.0.0.1:N)
"use strict";
const lib = require("./lib");
const fs = require("fs");
const path = require("path");
const { spawn } = require("child_process");

const port = Number(process.env.STOREFRONT_PORT);
const root = path.resolve(__dirname, "../..");
const chromium = process.env.CHROMIUM || "/usr/bin/chromium";
const check = (cond, msg) => { if (!cond) lib.fail(msg); };

function startStorefront() {
  const child = spawn("node", [path.join(root, "examples/node-storefront/server.js")], {
    env: { ...process.env, PORT: String(port), LIFT_API_KEY: lib.env.secretKey },
    stdio: ["ignore", "pipe", "inherit"] });
  const reports = [];
  let buffered = "";
  const ready = new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      buffered += d;
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        console.log(`  storefront: ${line.slice(0, 300)}`);
        if (line.startsWith("storefront on")) resolve();
        if (line.startsWith("report ")) reports.push(JSON.parse(line.slice(7)));
      }
    });
    child.on("exit", (code) => reject(new Error(`the storefront exited (${code})`)));
  });
  return { child, reports, ready };
}

// Loads url in headless Chromium until the page has reported (or 40 s).
async function visit(url, reports, unit) {
  const profile = fs.mkdtempSync(path.join(lib.env.tmp, "chromium-"));
  const browser = spawn(chromium, ["--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--no-first-run", "--disable-component-update",
    "--disable-sync", `--user-data-dir=${profile}`, url], { stdio: "ignore" });
  const t0 = Date.now();
  let r;
  while (!(r = reports.find((x) => x.unit === unit)) && Date.now() - t0 < 40000)
    await new Promise((res) => setTimeout(res, 50));
  browser.kill("SIGKILL");
  check(r, `no report from the page at ${url} within 40 s`);
  console.log(`page ${url} (${Date.now() - t0} ms): ${JSON.stringify(r)}`);
  return r;
}

// A shopper the experiment has (homepage_recs covers 80% of the homepage layer, and the
// global holdout keeps 5% out): asked of /v1/assign without logging.
async function shopperIn(experiment, prefix) {
  for (let i = 0; ; i++) {
    const unit = `${prefix}-${i}`;
    const r = await (await fetch(`${lib.env.url}/v1/assign?unit=${unit}&expose=0`)).json();
    const a = r.assignments.find((x) => x.experiment === experiment);
    if (a && !a.override) return { unit, variant: a.variant };
  }
}

const count = (sql) => Number(lib.psql(sql));
async function eventually(sql, want) {
  let n;
  for (let t = 0; t < 150 && (n = count(sql)) !== want; t++)
    await new Promise((res) => setTimeout(res, 20));
  return n;
}

(async () => {
  const store = startStorefront();
  await store.ready;
  const a = await shopperIn("homepage_recs", "browser-shopper");
  const r = await visit(`http://127.0.0.1:${port}/?unit=${a.unit}`, store.reports, a.unit);
  check(r.features === "loaded", "the SDK did not load the payload in the browser");
  check(r.variant === a.variant && r.dom_variant === a.variant,
    `the page shows ${r.dom_variant}, /v1/assign says ${a.variant}`);
  check(r.exposure === 202 && r.page_view === 202, "exposure or page view not accepted");
  check(r.order_with_client_key === 403 && r.order_error === "event_type_not_allowed",
    `an order with the client key was not refused: ${r.order_with_client_key}`);
  check(r.checkout === 200, "the server's order failed");
  const u = a.unit;
  // The browser's exposure (its SDK's tracking callback); the server logs its own as well.
  const exposures = await eventually(`SELECT count(*) FROM lift.exposures WHERE unit = '${u}' ` +
    `AND experiment = 'homepage_recs' AND variant = '${a.variant}' AND event_id LIKE 'browser-%'`,
  1);
  const views = await eventually(`SELECT count(*) FROM lift.events WHERE unit = '${u}' ` +
    "AND type = 'page_view'", 1);
  const orders = await eventually(`SELECT count(*) FROM lift.events WHERE unit = '${u}' ` +
    "AND type = 'order'", 1);
  console.log(`stored for ${u}: ${exposures} homepage_recs exposure from the browser ` +
    `(${a.variant}), ` +
    `${views} page view, ${orders} order (the server's; the browser's was refused)`);
  check(exposures === 1 && views === 1 && orders === 1, "not what the page did");

  // The same page from an origin the key does not allow: no payload, nothing stored.
  const b = await shopperIn("homepage_recs", "elsewhere-shopper");
  const s = await visit(`http://localhost:${port}/?unit=${b.unit}`, store.reports, b.unit);
  check(s.features !== "loaded" && s.variant === "none", "a disallowed origin got the payload");
  check(String(s.page_view).startsWith("blocked"), "a disallowed origin could post");
  await new Promise((res) => setTimeout(res, 300));
  const stored = count(`SELECT count(*) FROM lift.exposures WHERE unit = '${b.unit}' ` +
    "AND event_id LIKE 'browser-%'") +
    count(`SELECT count(*) FROM lift.events WHERE unit = '${b.unit}' AND type <> 'order'`);
  console.log(`origin http://localhost:${port} (not allowed): payload ${s.features}, page view ` +
    `${s.page_view}, ${stored} rows stored from the browser`);
  check(stored === 0, "rows were stored for a disallowed origin");
  store.child.kill("SIGTERM");
  lib.flush();
  process.exit(0);
})().catch((e) => lib.fail(e.stack));
