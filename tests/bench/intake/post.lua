-- wrk script: POST /v1/reports with bodies read from a file, one a line.
local bodies = {}
local counter = 0
local key = os.getenv("BENCH_KEY")

function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  counter = math.random(#bodies)
end

function request()
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
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
