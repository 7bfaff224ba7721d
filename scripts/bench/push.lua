-- wrk: POST /sPush "stack,value" with a value unique per request (run tag + thread + counter, 16 bytes).
-- Args after `--`: stack=<id> (default bench-push) tag=<4 chars> [quota=<2xx responses per thread, then stop>]
local dir = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local bench = require("common")
bench.install()

local headers = { ["Content-Type"] = "text/plain" }

function init(args)
  local opts = bench.parse_args(args)
  bench.init_counters(opts)
  stack = opts.stack or "bench-push"
  tag = opts.tag or "wrk0"
  counter = 0
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/sPush", headers, stack .. "," .. bench.unique_value(tag, tid, counter))
end
