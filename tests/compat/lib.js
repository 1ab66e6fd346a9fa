// Shared by the SDK compatibility tests (tests/test_storefronts.c runs them against a real
// liftd and PostgreSQL): the environment, a fetch that records every response it sees for
// the OpenAPI check (tests/compat/contract.js), psql, a seeded random source, and the
// shoppers the tests compare on.
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const env = {
  url: process.env.LIFT_URL, // liftd, e.g. http://127.0.0.1:40123
  clientKey: process.env.LIFT_CLIENT_KEY, // a publishable key (liftctl keys create --client)
  secretKey: process.env.LIFT_SECRET_KEY, // one of liftd's LIFT_API_KEYS
  dsn: process.env.LIFT_TEST_DSN, // the test database, as its owner
  tmp: process.env.LIFT_TEST_TMP || "/tmp",
};

// --- responses, for the contract check ------------------------------------------------

const recorded = [];
const outDir = path.join(env.tmp, "responses");
function record(method, url, status, contentType, body) {
  const u = new URL(url, env.url);
  if (u.origin !== new URL(env.url).origin) return; // another server (the example storefront)
  recorded.push(JSON.stringify({ method, target: u.pathname + u.search, status,
    content_type: contentType || "", body: body || "" }));
  if (recorded.length >= 2000) flush();
}
function flush() {
  if (!recorded.length) return;
  fs.mkdirSync(outDir, { recursive: true });
  fs.appendFileSync(path.join(outDir, `node-${process.pid}.jsonl`), recorded.join("\n") + "\n");
  recorded.length = 0;
}
process.on("exit", flush);

const realFetch = globalThis.fetch.bind(globalThis);
// fetch, recording each answer (streams excepted: their events are recorded one by one).
async function recordingFetch(input, init) {
  const res = await realFetch(input, init);
  const method = (init && init.method) || (input instanceof Request ? input.method : "GET");
  const url = input instanceof Request ? input.url : String(input);
  const ct = res.headers.get("content-type") || "";
  if (!ct.startsWith("text/event-stream"))
    record(method, url, res.status, ct, await res.clone().text());
  return res;
}
// Every fetch of this process (the SDKs' included) goes through the recorder.
globalThis.fetch = recordingFetch;

// EventSource that records each "features" event it receives (for GrowthBook's SDK).
function recordingEventSource() {
  const Base = require("eventsource");
  return class extends Base {
    constructor(url, options) {
      super(url, options);
      this.addEventListener("features", (e) => record("SSE", url, 200, "application/json", e.data));
    }
  };
}

// --- helpers ----------------------------------------------------------------------------

function psql(sql) {
  return execFileSync("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", env.dsn, "-c", sql],
    { encoding: "utf8" }).trim();
}

// mulberry32: a small seeded generator, so every run sees the same shoppers.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(r, list) {
  return list[Math.floor(r() * list.length)];
}

const MISSING = undefined;

// Shoppers with the attributes tests/compat/config.sql targets, each given in the forms an
// SDK user might pass: strings (what lift receives), numbers, booleans, nested objects for
// dotted names. `attrs` are the SDK attributes; `query` the same as /v1/assign parameters
// (how lift reads them: numbers in JavaScript's notation, booleans as true/false).
function shoppers(n, seed) {
  const r = rng(seed);
  const special = ["qa-1", "qa-2", "qa-held", "ümlaut-käufer", "用户-77", "😀-emoji"];
  const out = [];
  for (let i = 0; i < n; i++) {
    const unit = i < special.length ? special[i] : `shopper-${i}-${Math.floor(r() * 1e9)}`;
    const a = {
      device: pick(r, ["mobile", "tablet", "desktop", MISSING]),
      cart_value: pick(r, ["75.5", 75.5, "49.99", 50, "1e3", "abc", "", " 60", "999.9", "0x40",
        "Infinity", MISSING]),
      country: pick(r, ["DE", "FR", "US", MISSING]),
      member: pick(r, ["true", "false", "1", "0", true, false, "yes", MISSING]),
      orders: pick(r, ["0", "1", "two", "2", 1, 0, "1.0", MISSING]),
      banned: pick(r, [MISSING, MISSING, MISSING, ""]),
      age: pick(r, ["18", "19", "30", 18, 30, MISSING]),
      visits: pick(r, ["3", "03", 3, "3.0", "4", MISSING]),
    };
    const geo = pick(r, ["DE", "FR", MISSING]);
    const attrs = { id: unit };
    const query = new URLSearchParams({ unit });
    for (const [k, v] of Object.entries(a)) {
      if (v === MISSING) continue;
      attrs[k] = v;
      query.append(`attr.${k}`, String(v));
    }
    if (geo !== MISSING) {
      attrs.geo = { country: geo };
      query.append("attr.geo.country", geo);
    }
    out.push({ unit, attrs, query });
  }
  return out;
}

// /v1/assign for one shopper, without logging: {experiment: {variant, payload, override}}.
async function assign(s) {
  const res = await fetch(`${env.url}/v1/assign?${s.query}&expose=0`);
  if (res.status !== 200) throw new Error(`/v1/assign ${s.unit}: ${res.status} ${await res.text()}`);
  const out = {};
  for (const a of (await res.json()).assignments)
    out[a.experiment] = { variant: a.variant, payload: a.payload, override: !!a.override };
  return out;
}

// Runs fn over items, `width` at a time.
async function parallel(items, width, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  }));
  return results;
}

function fail(msg) {
  console.error(`FAIL: ${msg}`);
  flush();
  process.exit(1);
}

module.exports = { env, record, flush, recordingFetch, recordingEventSource, psql, rng,
  shoppers, assign, parallel, fail };
