-- wrk script: POST a GraphQL body with a bearer token.
--   BODY_FILE  a file with the JSON body, or
--   BODIES_FILE a file with one "token<TAB>JSON body" per line (taken in turn, each thread
--              its own share; every line used once)
--   TOKEN      bearer token (optional)
--   RATE       if set, requests per second across all connections (for a fixed-rate run)
--   CONNS      connections (with RATE)
-- Counts responses whose body holds "errors" and prints them at the end.
local function read(path)
  local f = assert(io.open(path, "rb")); local s = f:read("*a"); f:close(); return s
end

local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local token = os.getenv("TOKEN")
  if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
  errors = 0
  responses = 0
  local bodies_file = os.getenv("BODIES_FILE")
  if bodies_file and bodies_file ~= "" then
    bodies = {}
    local nthreads = tonumber(os.getenv("THREADS") or "2")
    local i = 0
    for line in io.lines(bodies_file) do
      if i % nthreads == (id - 1) then table.insert(bodies, line) end
      i = i + 1
    end
    next_body = 1
  else
    wrk.body = read(os.getenv("BODY_FILE"))
  end
  local rate = tonumber(os.getenv("RATE") or "")
  if rate and rate > 0 then
    per_conn_ms = 1000 * tonumber(os.getenv("CONNS") or "32") / rate
  end
end

function request()
  if bodies then
    -- each line: "token<TAB>body" (the token may be empty)
    local line = bodies[next_body] or bodies[#bodies] -- ran out: repeat the last (an error)
    next_body = next_body + 1
    local tab = string.find(line, "\t", 1, true)
    local token, b = string.sub(line, 1, tab - 1), string.sub(line, tab + 1)
    local headers = { ["Content-Type"] = "application/json" }
    if token ~= "" then headers["Authorization"] = "Bearer " .. token end
    return wrk.format("POST", nil, headers, b)
  end
  return wrk.request()
end

if os.getenv("RATE") and os.getenv("RATE") ~= "" then
  function delay()
    return math.random(0, 2 * per_conn_ms)
  end
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    errors = errors + 1
    if errors == 1 then io.stderr:write("first error: ", status, " ", string.sub(body, 1, 400), "\n") end
  end
end

function done(summary, latency, requests)
  local e, n = 0, 0
  for _, t in ipairs(threads) do
    e = e + (t:get("errors") or 0); n = n + (t:get("responses") or 0)
  end
  io.write(string.format("BENCH requests=%d errors=%d p50_us=%d p99_us=%d duration_us=%d\n",
    summary.requests, e, latency:percentile(50), latency:percentile(99), summary.duration))
end
