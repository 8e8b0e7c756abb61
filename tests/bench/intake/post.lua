-- wrk script: POST /v1/reports with bodies read from a file, one a line.
-- Every request gets a beneficiary IBAN of its own (the bodies carry a
-- placeholder): real reports rarely share one, and shared ones are linked
-- cases with a lock on the mule account, a different workload. Threads and
-- runs draw from separate number ranges (BENCH_OFFSET moves a run's).
local bodies = {}
local counter = 0
local key = os.getenv("BENCH_KEY")
local nthreads = 0
local offset = 0

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end

function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
  local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
  counter = offset + (tid or 0) * math.floor(#bodies / threads)
end

-- ISO 13616 check digits of a French IBAN with this 23-digit BBAN.
local function fr_iban(bban)
  local digits = bban .. "152700" -- "FR00", letters as numbers
  local r = 0
  for i = 1, #digits do r = (r * 10 + tonumber(digits:sub(i, i))) % 97 end
  return string.format("FR%02d%s", 98 - r, bban)
end

local serial = 0
function request()
  counter = counter + 1
  serial = serial + 1
  local account = string.format("%d%010d", tid or 0, offset + serial)
  local iban = fr_iban("3000300001" .. account .. "42")
  local body = bodies[(counter % #bodies) + 1]:gsub("@@CREDITOR@@", iban)
  return wrk.format("POST", "/v1/reports",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key }, body)
end

-- Paced runs: each connection waits BENCH_DELAY_MS between requests, so that
-- N connections offer about N * 1000 / BENCH_DELAY_MS requests per second.
local pace = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pace > 0 then
  function delay()
    return pace
  end
end
