-- wrk script for bench/run.sh: OFREP evaluations (POST), a different shopper each time,
-- with attributes; LIFT_BENCH_PATH is the route (one flag, or the bulk endpoint). Exposure
-- logging is off ("expose": false), as for the /v1/assign figure it is compared with.
local n = 0
local path = os.getenv("LIFT_BENCH_PATH") or "/ofrep/v1/evaluate/flags/homepage_recs"
local headers = {["Content-Type"] = "application/json"}
math.randomseed(os.time())
request = function()
  n = n + 1
  local body = '{"context":{"targetingKey":"s' .. math.random(1, 1e9) .. "-" .. n ..
               '","device":"mobile","channel":"email","expose":false}}'
  return wrk.format("POST", path, headers, body)
end
