-- SPDX-License-Identifier: MIT
-- wrk script: exit after BENCH_REQUESTS responses (run it with -t1: the count is one thread's), so that
-- every system gets the same warm-up whatever its speed (memory figures depend on what the app has done).
local limit = tonumber(os.getenv("BENCH_REQUESTS") or "10000")
local seen = 0

function response(status, headers, body)
  seen = seen + 1
  if seen >= limit then
    os.exit(0)
  end
end
