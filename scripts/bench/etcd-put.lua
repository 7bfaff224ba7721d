-- wrk: etcd v3 JSON gateway, POST /v3/kv/put of one key with a value unique per request (16 bytes,
-- like push.lua), base64-encoded as the gateway requires.
-- Args after `--`: key=<key> (default bench-put) tag=<4 chars>
local dir = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local bench = require("common")
bench.install()

local headers = { ["Content-Type"] = "application/json" }

function init(args)
  local opts = bench.parse_args(args)
  bench.init_counters(opts)
  key64 = bench.base64(opts.key or "bench-put")
  tag = opts.tag or "wrk0"
  counter = 0
end

function request()
  counter = counter + 1
  local value64 = bench.base64(bench.unique_value(tag, tid, counter))
  return wrk.format("POST", "/v3/kv/put", headers, '{"key":"' .. key64 .. '","value":"' .. value64 .. '"}')
end
