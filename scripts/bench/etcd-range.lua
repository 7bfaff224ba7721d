-- wrk: etcd v3 JSON gateway, POST /v3/kv/range of one key with serializable=false (a linearizable read,
-- etcd's ReadIndex: the counterpart of DistStack's /sTop).
-- Args after `--`: key=<key> (default bench-range)
local dir = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local bench = require("common")
bench.install()

function init(args)
  local opts = bench.parse_args(args)
  bench.init_counters(opts)
  local body = '{"key":"' .. bench.base64(opts.key or "bench-range") .. '","serializable":false}'
  req = wrk.format("POST", "/v3/kv/range", { ["Content-Type"] = "application/json" }, body)
end

function request()
  return req
end
