// A storefront in Node.js using GrowthBook's official SDK against liftd.
//
// The server renders the homepage with the variant the SDK gives the shopper (the
// `homepage_recs` experiment of sql/examples/), and posts the exposure the SDK reports
// through its tracking callback to liftd's POST /v1/exposures. The page it serves runs the
// same SDK in the browser with a publishable client key (examples/browser/app.js): exposures
// and page views go from the browser to liftd, orders go through this server (POST
// /checkout), which posts them with the secret key. Streaming keeps the SDK's features fresh
// (GET /sub/{clientKey}).
//
//   cd examples && npm ci
//   LIFT_URL=http://127.0.0.1:8080 LIFT_CLIENT_KEY=pk_... LIFT_API_KEY=secret \
//     PORT=3000 node node-storefront/server.js
// The client key comes from `liftctl keys create --client --origin http://127.0.0.1:3000`.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const http = require("http");
const path = require("path");
const { GrowthBookClient, setPolyfills } = require("@growthbook/growthbook");

setPolyfills({ EventSource: require("eventsource") }); // Node has no EventSource of its own

const LIFT = process.env.LIFT_URL || "http://127.0.0.1:8080";
const CLIENT_KEY = process.env.LIFT_CLIENT_KEY; // publishable: it goes into the page
const SECRET_KEY = process.env.LIFT_API_KEY; // secret: never leaves this server
const PORT = Number(process.env.PORT || 3000);
const HOST = process.env.HOST || "127.0.0.1";
if (!CLIENT_KEY || !SECRET_KEY) {
  console.error("set LIFT_CLIENT_KEY (liftctl keys create --client) and LIFT_API_KEY");
  process.exit(2);
}

async function postLift(route, body) {
  const res = await fetch(`${LIFT}${route}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${SECRET_KEY}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

// The SDK calls this once per shopper and experiment it puts them in. The experiment rule
// carries what lift needs: its key, its phase, and the variant key (result.key, from meta).
async function trackExposure(experiment, result) {
  const r = await postLift("/v1/exposures", { exposures: [{
    event_id: `server-${crypto.randomUUID()}`,
    unit: String(result.hashValue),
    experiment: experiment.key,
    variant: result.key,
    phase: Number(experiment.phase),
  }] });
  console.log(`exposure ${experiment.key}/${result.key} for ${result.hashValue}: ${r.status}`);
}

const gb = new GrowthBookClient({ apiHost: LIFT, clientKey: CLIENT_KEY,
  trackingCallback: trackExposure });

const page = fs.readFileSync(path.join(__dirname, "../browser/index.html"), "utf8");
const files = {
  "/app.js": path.join(__dirname, "../browser/app.js"),
  // The SDK's browser bundle (global `growthbook`), from the installed package.
  "/growthbook.js": path.join(path.dirname(require.resolve("@growthbook/growthbook/package.json")),
    "dist/bundles/index.min.js"),
};

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function shopperOf(req) {
  const url = new URL(req.url, "http://x");
  const cookie = /(?:^|;\s*)shopper=([^;]+)/.exec(req.headers.cookie || "");
  return url.searchParams.get("unit") || (cookie && decodeURIComponent(cookie[1])) ||
    `shopper-${crypto.randomUUID()}`;
}

function home(req, res) {
  const unit = shopperOf(req);
  const device = /Mobile/.test(req.headers["user-agent"] || "") ? "mobile" : "desktop";
  const user = gb.createScopedInstance({ attributes: { id: unit, device } });
  const recs = user.getFeatureValue("homepage_recs", { recs: "bestsellers", slots: 8 });
  const html = page
    .replace(/{{LIFT_URL}}/g, escape(LIFT))
    .replace(/{{CLIENT_KEY}}/g, escape(CLIENT_KEY))
    .replace(/{{UNIT}}/g, escape(unit))
    .replace(/{{DEVICE}}/g, escape(device))
    .replace(/{{SERVER_RECS}}/g, escape(recs.recs));
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8",
    "Set-Cookie": `shopper=${encodeURIComponent(unit)}; Path=/; SameSite=Lax` });
  res.end(html);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = "";
    req.on("data", (c) => { data += c; if (data.length > 65536) req.destroy(); });
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });
}

// The order is a fact the server knows (payment succeeded): posted with the secret key.
async function checkout(req, res) {
  const { unit, value } = JSON.parse(await readBody(req));
  const r = await postLift("/v1/events", { events: [{ event_id: `order-${crypto.randomUUID()}`,
    unit, type: "order", value: Number(value), currency: "EUR" }] });
  console.log(`order ${value} EUR for ${unit}: ${r.status} ${JSON.stringify(r.body)}`);
  res.writeHead(r.status === 202 ? 200 : 502, { "Content-Type": "application/json" });
  res.end(JSON.stringify(r.body));
}

// The page tells what it saw and did; printed on one line (the automated check reads it).
async function report(req, res) {
  console.log(`report ${await readBody(req)}`);
  res.writeHead(204);
  res.end();
}

const server = http.createServer((req, res) => {
  const route = new URL(req.url, "http://x").pathname;
  const fail = (e) => { console.error(e); res.writeHead(500); res.end(); };
  if (req.method === "GET" && route === "/") return home(req, res);
  if (req.method === "GET" && files[route]) {
    res.writeHead(200, { "Content-Type": "text/javascript; charset=utf-8" });
    return fs.createReadStream(files[route]).pipe(res);
  }
  if (req.method === "POST" && route === "/checkout") return checkout(req, res).catch(fail);
  if (req.method === "POST" && route === "/report") return report(req, res).catch(fail);
  res.writeHead(404);
  res.end();
});

gb.init({ timeout: 5000, streaming: true }).then((r) => {
  if (!r.success) {
    console.error(`GrowthBook SDK could not load features from ${LIFT}: ${r.source} ${r.error}`);
    process.exit(1);
  }
  server.listen(PORT, HOST, () =>
    console.log(`storefront on http://${HOST}:${server.address().port} (liftd ${LIFT}, ` +
      `${Object.keys(gb.getFeatures()).length} features)`));
});
process.on("SIGTERM", () => { gb.destroy(); server.close(); process.exit(0); });
