// The API contract check: docs/openapi.yaml must be a valid OpenAPI 3.1 document, and every
// response the tests recorded (tests/support/liftd.c for the C tests, lib.js for the Node
// ones: success and error answers alike, and each event of the GrowthBook stream) must be
// one the document describes: the path and method, the status, the media type and a body
// valid against its schema (JSON Schema 2020-12, as OpenAPI 3.1 uses).
//   node contract.js SPEC DIR      (DIR: the *.jsonl files of recorded responses)
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const OpenAPIParser = require("@readme/openapi-parser");
const Ajv2020 = require("ajv/dist/2020");
const addFormats = require("ajv-formats");

const [specPath, dir] = process.argv.slice(2);

function templateRegex(p) {
  return new RegExp("^" + p.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+") +
    "$");
}

(async () => {
  const text = fs.readFileSync(specPath, "utf8");
  await OpenAPIParser.validate(YAML.parse(text)); // throws with the problems
  const spec = await OpenAPIParser.dereference(YAML.parse(text));
  if (!spec.openapi.startsWith("3.1")) throw new Error(`${specPath}: not OpenAPI 3.1`);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const paths = Object.entries(spec.paths).map(([p, item]) => ({ p, re: templateRegex(p), item }));
  const validators = new Map();
  const seen = new Map(); // "GET /path 200" -> count
  const problems = [];
  let total = 0;
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".jsonl")) : [];
  for (const f of files) {
    for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n")) {
      if (!line) continue;
      const r = JSON.parse(line);
      total++;
      const pathname = r.target.split("?")[0];
      const match = paths.find((x) => x.re.test(pathname));
      const sse = r.method === "SSE";
      const method = sse || r.method === "HEAD" ? "get" : r.method.toLowerCase();
      const where = `${r.method} ${pathname} ${r.status}`;
      const op = match && match.item[method];
      if (!op) {
        // Answers to paths no route has (404) and to methods a route does not take (405)
        // are the document's top-level x-lift-unrouted response.
        if (match && r.status !== 405 || !match && r.status !== 404) {
          problems.push(`${where}: no such operation in the document`);
          continue;
        }
      }
      const key = `${r.method} ${match ? match.p : "(no route)"} ${r.status}`;
      seen.set(key, (seen.get(key) || 0) + 1);
      const responses = op ? op.responses : { [r.status]: spec["x-lift-unrouted"] };
      const resp = responses[String(r.status)] || responses.default;
      if (!resp) {
        problems.push(`${where}: status not in the document`);
        continue;
      }
      if (!resp.content) {
        if (r.body) problems.push(`${where}: a body where the document has none`);
        continue;
      }
      let media = r.content_type.split(";")[0].trim();
      let schema;
      if (sse) { // each stream event carries one payload
        media = "text/event-stream";
        schema = resp.content[media] && resp.content[media]["x-lift-event-data"];
      } else {
        schema = resp.content[media] && resp.content[media].schema;
      }
      if (!resp.content[media]) {
        problems.push(`${where}: media type ${media || "(none)"} not in the document`);
        continue;
      }
      if (!schema || r.method === "HEAD") continue; // HEAD: GET's headers, no body
      let body = r.body;
      if (sse || media.endsWith("json")) {
        try {
          body = JSON.parse(r.body);
        } catch (e) {
          problems.push(`${where}: not JSON: ${r.body.slice(0, 80)}`);
          continue;
        }
      }
      let v = validators.get(schema);
      if (!v) validators.set(schema, (v = ajv.compile(schema)));
      if (!v(body))
        problems.push(`${where}: ${ajv.errorsText(v.errors)}; body ${r.body.slice(0, 300)}`);
    }
  }
  const distinct = [...seen.keys()].sort();
  console.log(`contract: ${specPath} is valid OpenAPI ${spec.openapi}; ${total} recorded ` +
    `responses, ${distinct.length} kinds (method, path, status), ${problems.length} not as ` +
    "documented");
  for (const k of distinct) console.log(`  ${k.padEnd(52)} ${seen.get(k)}`);
  const unique = [...new Set(problems)];
  for (const p of unique.slice(0, 30)) console.error(`  NOT DOCUMENTED: ${p}`);
  process.exit(problems.length ? 1 : 0);
})().catch((e) => {
  console.error(`contract: ${e.message || e}`);
  if (e.details) console.error(JSON.stringify(e.details, null, 1).slice(0, 4000));
  process.exit(1);
});
