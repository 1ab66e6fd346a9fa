-- wrk script for bench/dedup.sh: storefront traffic from a population of shoppers with
-- Zipf-distributed repeat visits. Shopper k (1..N) is drawn with probability proportional
-- to k^-s, from a cumulative table computed once per thread and searched by bisection, so
-- that a run with expose=0 (the baseline) costs the load generator exactly as much.
--   LIFT_BENCH_SHOPPERS  N, default 1000000
--   LIFT_BENCH_ZIPF      s, default 1
--   LIFT_BENCH_EXPOSE    1 (log exposures, the default) or 0
local shoppers = tonumber(os.getenv("LIFT_BENCH_SHOPPERS") or "1000000")
local s = tonumber(os.getenv("LIFT_BENCH_ZIPF") or "1")
local expose = os.getenv("LIFT_BENCH_EXPOSE") or "1"
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

local cdf = {}

function init(args)
  local sum = 0
  for k = 1, shoppers do
    sum = sum + k ^ (-s)
    cdf[k] = sum
  end
  for k = 1, shoppers do
    cdf[k] = cdf[k] / sum
  end
  math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
end

function request()
  local u = math.random()
  local lo, hi = 1, shoppers
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return wrk.format("GET", "/v1/assign?unit=z" .. lo ..
                    "&attr.device=mobile&attr.channel=email&expose=" .. expose)
end
