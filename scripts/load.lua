-- wrk script for scripts/load: replays the signed webhooks scripts/load.py wrote.
-- Usage: wrk -t N ... -s scripts/load.lua URL -- PREFIX
-- Thread i reads PREFIX-i.tsv (path, signature, idempotency token, form body, tab-separated),
-- builds every request once in init(), then cycles through them. done() prints one line,
-- "WRK {json}", that scripts/load.py reads.

local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
end

local requests = {}
local count = 0
local position = 0

function init(args)
   local name = args[1] .. "-" .. id .. ".tsv"
   local file = assert(io.open(name, "r"))
   for line in file:lines() do
      local path, signature, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {
         ["Content-Type"] = "application/x-www-form-urlencoded",
         ["X-Twilio-Signature"] = signature,
         ["I-Twilio-Idempotency-Token"] = token,
         ["User-Agent"] = "TwilioProxy/1.1",
         ["Accept"] = "*/*",
      }
      count = count + 1
      requests[count] = wrk.format("POST", path, headers, body)
   end
   file:close()
   assert(count > 0, name .. " holds no requests")
end

function request()
   position = position % count + 1
   return requests[position]
end

function done(summary, latency, _)
   local errors = summary.errors
   io.write(string.format(
      'WRK {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, '
         .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, '
         .. '"p99_us": %d, "max_us": %d}\n',
      summary.requests, summary.duration, summary.bytes, errors.connect, errors.read,
      errors.write, errors.status, errors.timeout, latency:percentile(50),
      latency:percentile(90), latency:percentile(99), latency.max))
end
