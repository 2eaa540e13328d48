-- wrk: GET a random path of a file (one path per line), with the headers given after the
-- file ("Name: value"); at the end, one line "WRK {json}" of the figures and one line
-- "LATENCIES us:count …" of every latency wrk recorded (microseconds: how many requests took
-- each), for bench/common.py.
--   wrk -t1 -c4 -d5s -s bench/wrk_paths.lua http://127.0.0.1:8000 -- paths.txt "Authorization: Bearer …"
local paths = {}

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  for i = 2, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
  math.randomseed(os.time())
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "connect": %d, ' ..
    '"read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
  local counted = {}
  for i = 1, #latency do  -- wrk 4.1: the i-th distinct latency and how many requests took it
    local us, count = latency(i)
    counted[#counted + 1] = string.format("%d:%d", us, count)
  end
  io.write("LATENCIES " .. table.concat(counted, " ") .. "\n")
end
