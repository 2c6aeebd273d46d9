-- One request shape for wrk, from the environment (bench/run.mjs sets it), and a
-- summary line in JSON that run.mjs reads.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.headers["Host"] = os.getenv("BENCH_HOST")
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "text/xml"
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    "BENCH {\"requests\":%d,\"durationUs\":%d,\"p50Us\":%d,\"p99Us\":%d,\"errors\":%d,\"non2xx\":%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), errors, summary.errors.status))
end
