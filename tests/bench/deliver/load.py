"""Open-loop load for the end-to-end benchmark: POST /v1/reports at a fixed
rate over keep-alive connections (asyncio, stdlib only); request i is due at
t0 + i / rate whatever the answers (latency is counted from that due time, so
a slow relay cannot hide behind fewer requests). Writes "ref due_us status
answered_us" lines to OUT and prints the intake's own p50/p99.
  load.py HOST PORT KEY RATE SECONDS BODIES.jsonl OUT
"""
import asyncio
import json
import sys
import time

host, port, key = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rate, seconds = float(sys.argv[4]), float(sys.argv[5])
bodies = [line.strip().encode() for line in open(sys.argv[6], encoding="utf-8") if line.strip()]
out_path = sys.argv[7]
CONNECTIONS = 64
total = int(rate * seconds)
results = []  # (ref, due_us, status, answered_us)
next_index = 0


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return status, body


async def worker(t0):
    global next_index
    reader, writer = await asyncio.open_connection(host, port)
    while True:
        i = next_index
        if i >= total:
            break
        next_index += 1
        due = t0 + i / rate
        delay = due - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        body = bodies[i % len(bodies)]
        writer.write(b"POST /v1/reports HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                     b"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s" %
                     (host.encode(), key.encode(), len(body), body))
        await writer.drain()
        status, answer = await read_response(reader)
        ref = ""
        if status == 201:
            ref = json.loads(answer)["ref"]
        results.append((ref, int(due * 1e6), status, int(time.time() * 1e6)))
    writer.close()


async def main():
    t0 = time.time() + 0.2
    await asyncio.gather(*(worker(t0) for _ in range(CONNECTIONS)))
    elapsed = time.time() - t0
    ok = [r for r in results if r[2] == 201]
    lat = sorted((r[3] - r[1]) / 1000.0 for r in ok)
    with open(out_path, "w") as f:
        for ref, due, status, answered in results:
            f.write(f"{ref or '-'} {due} {status} {answered}\n")
    p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan"))
    print(f"load: {len(results)} reports in {elapsed:.1f}s ({len(results) / elapsed:.0f}/s offered "
          f"{rate:.0f}/s), {len(ok)} answered 201; intake latency p50={p(0.5):.1f}ms "
          f"p99={p(0.99):.1f}ms")


asyncio.run(main())
