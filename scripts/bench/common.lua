-- Shared by every wrk script in scripts/bench/: counts responses by HTTP status (so that errors are never
-- counted as throughput), optionally stops each thread after a quota of successful requests, and prints one
-- machine-readable BENCH_RESULT line that scripts/bench.sh parses.
--
-- Loaded with require() from the scripts next to it; every global below lives once per wrk thread (each
-- thread has its own Lua state), and done() runs in the main state, which reads the threads' counters back.

local M = {}

local threads = {}

-- Arguments after `--` on wrk's command line: key=value pairs (e.g. stack=bench quota=5000 tag=ab12).
function M.parse_args(args)
  local opts = {}
  for _, a in ipairs(args or {}) do
    local k, v = string.match(a, "^([%w_]+)=(.*)$")
    if k then opts[k] = v end
  end
  return opts
end

function M.install()
  function setup(thread)
    table.insert(threads, thread)
    thread:set("tid", #threads)
  end

  function response(status, headers, body)
    if status >= 200 and status < 300 then
      ok = ok + 1
      if quota and ok >= quota then wrk.thread:stop() end
    else
      bad = bad + 1
      local key = tostring(status)
      codes[key] = (codes[key] or 0) + 1
      if not first_error then first_error = key .. " " .. string.sub(body or "", 1, 120) end
    end
  end

  function done(summary, latency, requests)
    local ok_total, bad_total, codes_total, first = 0, 0, {}, nil
    for _, t in ipairs(threads) do
      ok_total = ok_total + (t:get("ok") or 0)
      bad_total = bad_total + (t:get("bad") or 0)
      local c = t:get("codes") or {}
      for k, v in pairs(c) do codes_total[k] = (codes_total[k] or 0) + v end
      first = first or t:get("first_error")
    end
    local parts = {}
    for k, v in pairs(codes_total) do table.insert(parts, k .. ":" .. v) end
    table.sort(parts)
    local e = summary.errors
    local socket_errors = e.connect + e.read + e.write + e.timeout
    local seconds = summary.duration / 1e6
    io.write(string.format(
      "BENCH_RESULT requests=%d ok=%d non2xx=%d socket_errors=%d seconds=%.3f ok_per_sec=%.1f " ..
      "mean_ms=%.3f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f codes=%s\n",
      summary.requests, ok_total, bad_total, socket_errors, seconds, ok_total / seconds,
      latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      (#parts > 0) and table.concat(parts, ",") or "-"))
    if first then io.write("BENCH_FIRST_ERROR " .. string.gsub(first, "[\r\n]", " ") .. "\n") end
  end
end

-- Per-thread counters; call from init().
function M.init_counters(opts)
  ok, bad, codes, first_error = 0, 0, {}, nil
  quota = tonumber(opts.quota or "")
end

-- A value unique across threads and runs: tag (4 chars, per run) .. thread (2 digits) .. counter (10 digits)
-- = 16 bytes.
function M.unique_value(tag, tid, n)
  return string.format("%-4.4s%02d%010d", tag, tid % 100, n)
end

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

-- Plain arithmetic (no bit library), fine for short keys and values.
function M.base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = string.byte(s, i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math.floor(n / 262144) % 64
    local c2 = math.floor(n / 4096) % 64
    local c3 = math.floor(n / 64) % 64
    local c4 = n % 64
    table.insert(out, string.sub(b64chars, c1 + 1, c1 + 1))
    table.insert(out, string.sub(b64chars, c2 + 1, c2 + 1))
    table.insert(out, b and string.sub(b64chars, c3 + 1, c3 + 1) or "=")
    table.insert(out, c and string.sub(b64chars, c4 + 1, c4 + 1) or "=")
  end
  return table.concat(out)
end

return M
