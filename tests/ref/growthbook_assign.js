// Produces tests/ref/growthbook-assign.json: what the GrowthBook JavaScript SDK assigns to
// 600 shoppers (ASCII, Latin-1, CJK and astral-plane ids) in six experiments. The C tests
// compare lift's evaluation against it. To recompute:
//   npm install @growthbook/growthbook@1.8.0 && node tests/ref/growthbook_assign.js
const { GrowthBook } = require("@growthbook/growthbook");

const units = [];
for (let i = 0; i < 600; i++) {
  const kind = i % 6;
  if (kind === 0) units.push("shopper-" + i);
  else if (kind === 1) units.push(`${(i * 2654435761) >>> 0}-${i}`);
  else if (kind === 2) units.push("ümlaut-café-" + i);
  else if (kind === 3) units.push("用户" + i);
  else if (kind === 4) units.push("😀" + i + "𝄞");
  else units.push("a".repeat(1 + (i % 40)) + i);
}

const experiments = [
  { key: "recs", seed: "recs", hashVersion: 2, coverage: 1, weights: [0.5, 0.5] },
  { key: "three", seed: "three-seed", hashVersion: 2, coverage: 0.37, weights: [0.2, 0.3, 0.5] },
  { key: "legacy", seed: "legacy", hashVersion: 1, coverage: 0.8, weights: [0.5, 0.5] },
  { key: "layered", seed: "layered", hashVersion: 2, coverage: 1, weights: [0.5, 0.5],
    namespace: ["homepage", 0.25, 0.75] },
  { key: "unicode_seed", seed: "sämen-😀", hashVersion: 2, coverage: 1, weights: [0.1, 0.9] },
  { key: "four", seed: "four", hashVersion: 1, coverage: 1, weights: [0.25, 0.25, 0.25, 0.25],
    namespace: ["search", 0, 0.4] },
];

const expected = experiments.map((e) =>
  units
    .map((u) => {
      const gb = new GrowthBook({ attributes: { id: u } });
      const r = gb.run({
        key: e.key, seed: e.seed, hashVersion: e.hashVersion, coverage: e.coverage,
        weights: e.weights, namespace: e.namespace,
        variations: e.weights.map((_, i) => i),
      });
      return r.inExperiment && r.hashUsed ? String(r.variationId) : "-";
    })
    .join("")
);

process.stdout.write(JSON.stringify({ sdk: "@growthbook/growthbook 1.8.0", units, experiments,
  expected }, null, 1) + "\n");
