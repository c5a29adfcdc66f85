-- wrk script: POST the sign-in bodies of the file WRK_BODIES (one JSON object a line), each once:
-- of the two threads (`wrk -t2`), one sends the even lines and the other the odd ones, so every
-- request signs in an account that no
-- server process has seen yet (until the lines run out; then they start over).
local bodies = {}
for line in io.lines(os.getenv("WRK_BODIES")) do
  bodies[#bodies + 1] = line
end

local threads = {}
function setup(thread)
  thread:set("first", #threads)
  table.insert(threads, thread)
end

function init(args)
  position = first
  step = 2  -- bench/run.py runs wrk with -t2
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  local body = bodies[(position % #bodies) + 1]
  position = position + step
  return wrk.format(nil, nil, nil, body)
end
