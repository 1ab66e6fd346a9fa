-- wrk script for bench/run.sh: a different shopper on every request, with attributes.
-- Exposure logging is on unless LIFT_BENCH_EXPOSE=0 (the serving cost alone).
local n = 0
local expose = os.getenv("LIFT_BENCH_EXPOSE") or "1"
math.randomseed(os.time())
request = function()
  n = n + 1
  return wrk.format("GET", "/v1/assign?unit=s" .. math.random(1, 1e9) .. "-" .. n ..
                    "&attr.device=mobile&attr.channel=email&expose=" .. expose)
end
