-- wrk: POST /sTop "stack" (a linearizable read) on a stack created and pushed to beforehand.
-- Args after `--`: stack=<id> (default bench-top)
local dir = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local bench = require("common")
bench.install()

function init(args)
  local opts = bench.parse_args(args)
  bench.init_counters(opts)
  req = wrk.format("POST", "/sTop", { ["Content-Type"] = "text/plain" }, opts.stack or "bench-top")
end

function request()
  return req
end
