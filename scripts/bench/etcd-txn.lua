-- wrk: etcd v3 JSON gateway, POST /v3/kv/txn with `batch` puts (default 100) in one transaction, the etcd
-- counterpart of push-batch.lua: keys <key>-0 .. <key>-(batch-1) (a transaction may not put one key twice), each
-- value unique per request (16 bytes). values/s = 2xx/s x batch.
-- Args after `--`: key=<prefix> (default bench-txn) tag=<4 chars> batch=<puts per transaction>
local dir = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local bench = require("common")
bench.install()

local headers = { ["Content-Type"] = "application/json" }

function init(args)
  local opts = bench.parse_args(args)
  bench.init_counters(opts)
  tag = opts.tag or "wrk0"
  batch = tonumber(opts.batch or "100")
  keys64 = {}
  for i = 1, batch do keys64[i] = bench.base64((opts.key or "bench-txn") .. "-" .. (i - 1)) end
  counter = 0
end

function request()
  local puts = {}
  for i = 1, batch do
    counter = counter + 1
    local value64 = bench.base64(bench.unique_value(tag, tid, counter))
    puts[i] = '{"requestPut":{"key":"' .. keys64[i] .. '","value":"' .. value64 .. '"}}'
  end
  return wrk.format("POST", "/v3/kv/txn", headers, '{"success":[' .. table.concat(puts, ",") .. ']}')
end
