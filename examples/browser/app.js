// The storefront page's script: GrowthBook's SDK in the browser, against liftd, with a
// publishable client key (allowed origins get CORS; the key may read the payload and post
// exposures, page views and add-to-cart, never orders). The exposure comes from the SDK's
// tracking callback; the order goes through the storefront's own server, which holds the
// secret key.
"use strict";
(async () => {
  const { url, clientKey, unit, device } = window.LIFT;
  const $ = (id) => document.getElementById(id);
  const done = {}; // what happened, for the page and for the report to the server
  const post = (route, body) => fetch(`${url}${route}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${clientKey}` },
    body: JSON.stringify(body),
    keepalive: true,
  });
  const tracked = [];
  const gb = new growthbook.GrowthBook({
    apiHost: url,
    clientKey,
    attributes: { id: unit, device },
    // Called once per experiment the shopper is put in: lift stores it as an exposure.
    trackingCallback: (experiment, result) => {
      tracked.push(post("/v1/exposures", { exposures: [{
        event_id: `browser-${crypto.randomUUID()}`,
        unit: String(result.hashValue),
        experiment: experiment.key,
        variant: result.key,
        phase: Number(experiment.phase),
      }] }).then((r) => { done.exposure = r.status; $("exposure").textContent = r.status; },
        (e) => { done.exposure = String(e); }));
    },
  });
  const init = await gb.init({ timeout: 3000, streaming: true });
  done.features = init.success ? "loaded" : `failed: ${init.source}`;
  const result = gb.evalFeature("homepage_recs");
  const recs = result.value || { recs: "bestsellers" }; // liftd unreachable: the generic page
  done.variant = result.experimentResult && result.experimentResult.inExperiment
    ? result.experimentResult.key : "none";
  done.recs = recs.recs;
  $("recs").textContent = `Recommended for you: ${recs.recs}`;
  $("variant").textContent = done.variant;
  await Promise.all(tracked);

  // A page view, from the browser.
  try {
    const r = await post("/v1/events", { events: [{ event_id: crypto.randomUUID(), unit,
      type: "page_view", props: { path: location.pathname } }] });
    done.page_view = r.status;
  } catch (e) {
    done.page_view = `blocked: ${e.message}`;
  }
  $("pageview").textContent = done.page_view;

  // An order cannot be sent with a client key: liftd refuses it (403).
  try {
    const r = await post("/v1/events", { events: [{ event_id: crypto.randomUUID(), unit,
      type: "order", value: 59.9, currency: "EUR" }] });
    done.order_with_client_key = r.status;
    done.order_error = (await r.json()).error.code;
  } catch (e) {
    done.order_with_client_key = `blocked: ${e.message}`;
  }
  $("forbidden").textContent = done.order_with_client_key;

  // The order through the storefront's server (same origin), which uses the secret key.
  const c = await fetch("/checkout", { method: "POST", headers: { "Content-Type":
    "application/json" }, body: JSON.stringify({ unit, value: 59.9 }) });
  done.checkout = c.status;
  $("checkout").textContent = c.status;
  done.dom_variant = $("variant").textContent;
  done.dom_recs = $("recs").textContent;
  await fetch("/report", { method: "POST", body: JSON.stringify({ unit, origin: location.origin,
    ...done }) });
})();
