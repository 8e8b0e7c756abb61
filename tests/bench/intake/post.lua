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

-- Paced runs (BENCH_RATE, requests per second over all threads): each thread
-- hands out send slots at its share of the rate, and a connection whose
-- answer came back waits for the next free slot. The offered rate is the
-- rate asked for, whatever the latency (with a fixed pause between requests,
-- N connections offer N / (pause + latency): less the slower the relay, so
-- a run meant for 70 % measured far less). Enough connections must be open
-- for the slots (at 64 and the latencies here, several times enough);
-- wrk's latency counts from the send, which is the slot.
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
if rate > 0 then
  local ffi = require("ffi")
  ffi.cdef[[
    struct bench_timespec { long tv_sec; long tv_nsec; };
    int clock_gettime(int clk, struct bench_timespec *ts);
  ]]
  local ts = ffi.new("struct bench_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
  local interval = 1000 * threads / rate
  local next_slot = nil
  function delay()
    local now = now_ms()
    if next_slot == nil or next_slot < now - 1000 then
      next_slot = now -- the start, or more than a second behind: no catch-up burst
    end
    local wait = next_slot - now
    next_slot = next_slot + interval
    if wait <= 0 then return 0 end
    return math.floor(wait + 0.5)
  end
end
