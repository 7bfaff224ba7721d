-- wrk: POST /v1/stacks/<stack>/items, a JSON array of `batch` values (default 100), each unique per request and
-- position (16 bytes, like push.lua): one log entry per request, so values/s = 2xx/s x batch.
-- Args after `--`: stack=<id> (default bench-batch) tag=<4 chars> batch=<values per request>
local dir = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local bench = require("common")
bench.install()

local headers = { ["Content-Type"] = "application/json" }

function init(args)
  local opts = bench.parse_args(args)
  bench.init_counters(opts)
  path = "/v1/stacks/" .. (opts.stack or "bench-batch") .. "/items"
  tag = opts.tag or "wrk0"
  batch = tonumber(opts.batch or "100")
  counter = 0
end

function request()
  local values = {}
  for i = 1, batch do
    counter = counter + 1
    values[i] = '"' .. bench.unique_value(tag, tid, counter) .. '"'
  end
  return wrk.format("POST", path, headers, "[" .. table.concat(values, ",") .. "]")
end
