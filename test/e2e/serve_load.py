#!/usr/bin/env python3
"""A bounded load test of `OUT serve` on loopback, with a small asyncio HTTP
client.

The Llama example (compiled as serve_openai.py compiles it) is served with a
capacity of 64 requests (--max-batch 16 running, --max-queue 48 waiting).

1. Under capacity: 64 clients, each streaming request after request (half
   of them chat completions, half completions, sampled, with
   `stream_options.include_usage`) for --duration seconds (60 by default).
   Not one request may fail: every answer is a 200 whose event stream has a
   finish_reason and a usage chunk and ends with `data: [DONE]`. Reported:
   requests/s, generated tokens/s, time to first token p50/p99 as the
   clients see it. /metrics must agree with the clients: 200s counted by
   the server equal those the clients received, and so do the prompt and
   generated tokens and the count of first-token latencies.
2. Over capacity (4x): 256 clients for --overload-duration seconds (20 by
   default), each retrying at once after a 429. Every answer is a 200 (a
   complete stream, as above) or a 429 with `Retry-After` and an OpenAI
   error object; at least one of each. The server's /metrics counts the
   same 200s and 429s as the clients. Its RSS, sampled throughout, stays
   within 32 MiB of what it was after the first phase: the KV pool, the
   worker threads (capacity + 32) and the connection queue (64) are of
   fixed size, all in use in the first phase but the 32 workers that only
   answer 429s, and a request holds nothing once answered, so what may grow
   is the allocator's per-thread slack, not anything per request (some
   25,000 requests: a leak of 1.3 KiB each would show). The 429s come from
   admission (Serve.cpp) and from the HTTP layer's full connection queue
   alike; the test reports how many from each.
3. Afterwards the server is idle (no running or queued sequence, no KV block
   in use), answers /health and a completion, and has not crashed.

Every request and every phase has a timeout, and the server is killed at the
end whatever happens.

    python3 test/e2e/serve_load.py --xfc build/bin/xfc \\
        --model-script examples/make_llama_block.py --workdir /tmp/serve-load
"""
import argparse
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_openai import (KEY, Server, check, compile_example, fail, idle,  # noqa: E402
                          metrics, request, wait_for)

MAX_BATCH, MAX_QUEUE = 16, 48
CAPACITY = MAX_BATCH + MAX_QUEUE
MAX_TOKENS = 48
# The longest a single request may take, under capacity or not.
REQUEST_TIMEOUT = 60
RSS_BOUND_KIB = 32 * 1024


class Result:
    """What one request got, as the client saw it."""

    def __init__(self):
        self.status = None
        self.headers = {}
        self.error = None  # why the request failed, if it did
        self.ttft = None  # seconds from sending to the first text
        self.finish = None
        self.usage = None
        self.done = False  # the stream ended with `data: [DONE]` (or the body is whole)
        self.body = b""


async def stream_request(port, path, body):
    """One request on its own connection, read to the end of the connection
    (a stream is delimited by its close). Streamed (body["stream"]) or not,
    a 200 must be a whole answer with a finish_reason and usage."""
    result = Result()
    data = json.dumps(body).encode()
    start = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            f"Connection: close\r\n\r\n".encode() + data)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        result.status = int(lines[0].split()[1])
        # Names in lower case: a proxy may have rewritten them so.
        result.headers = {name.lower(): value for name, value in
                          (line.split(": ", 1) for line in lines[1:] if line)}
        if result.status != 200:
            result.body = await reader.read()
            return result
        if not body.get("stream"):
            result.body = await reader.read()
            if len(result.body) != int(result.headers.get("content-length", -1)):
                result.error = f"a body of {len(result.body)} bytes: {result.headers}"
                return result
            answer = json.loads(result.body)
            result.done = True
            result.usage = answer.get("usage")
            result.finish = answer["choices"][0]["finish_reason"]
            result.ttft = time.monotonic() - start
        # A stream: events to the end of the connection.
        while body.get("stream"):
            line = await reader.readline()
            if not line:
                break
            line = line.rstrip(b"\n")
            if not line:
                continue
            if not line.startswith(b"data: "):
                result.error = f"not an event: {line[:100]!r}"
                continue
            payload = line[len(b"data: "):]
            if payload == b"[DONE]":
                result.done = True
                continue
            if result.done:
                result.error = "an event after [DONE]"
            event = json.loads(payload)
            if "error" in event:
                result.error = f"error event: {event['error']}"
                continue
            if event.get("usage"):
                result.usage = event["usage"]
            for choice in event.get("choices", []):
                text = choice.get("text") or choice.get("delta", {}).get("content")
                if text and result.ttft is None:
                    result.ttft = time.monotonic() - start
                if choice.get("finish_reason"):
                    if result.finish is not None:
                        result.error = "two finish reasons"
                    result.finish = choice["finish_reason"]
    finally:
        writer.close()
    if result.error is None:
        if not result.done:
            result.error = "the stream did not end with [DONE]"
        elif result.finish not in ("stop", "length"):
            result.error = f"finish_reason {result.finish!r}"
        elif not result.usage or result.usage.get("completion_tokens", 0) < 1:
            result.error = f"usage {result.usage}"
    return result


def request_body(name, client, serial):
    """Client `client`'s request number `serial`: chat or completion,
    sampled, streamed with usage."""
    body = {"model": name, "max_tokens": MAX_TOKENS, "temperature": 0.8, "stream": True,
            "stream_options": {"include_usage": True}}
    text = f"Client {client}, request {serial}: tell me something."
    if client % 2:
        body["messages"] = [{"role": "system", "content": "You are terse."},
                            {"role": "user", "content": text}]
        return "/v1/chat/completions", body
    body["prompt"] = text
    return "/v1/completions", body


async def run_clients(port, name, clients, seconds, on_refused):
    """`clients` clients, each sending request after request for `seconds`;
    returns every Result. `on_refused(result)` is awaited after a non-200."""
    deadline = time.monotonic() + seconds
    results = []

    async def client(index):
        serial = 0
        while time.monotonic() < deadline:
            path, body = request_body(name, index, serial)
            serial += 1
            try:
                result = await asyncio.wait_for(stream_request(port, path, body),
                                                REQUEST_TIMEOUT)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError,
                    ValueError) as e:
                result = Result()
                result.error = f"{type(e).__name__}: {e}"
            results.append(result)
            if result.status != 200:
                await on_refused(result)

    await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(clients))),
                           seconds + REQUEST_TIMEOUT + 10)
    return results


def requests_by_code(values):
    codes = {}
    for key, value in values.items():
        if key.startswith('xf_requests_total{code="'):
            codes[int(key.split('"')[1])] = int(value)
    return codes


def counter_deltas(before, after):
    """What the server counted between two /metrics snapshots, less the
    second snapshot's own request (counted once answered)."""
    codes_before, codes_after = requests_by_code(before), requests_by_code(after)
    codes = {code: codes_after[code] - codes_before.get(code, 0) for code in codes_after}
    codes[200] = codes.get(200, 0) - 1
    codes = {code: count for code, count in codes.items() if count}
    keys = ("xf_prompt_tokens_total", "xf_generation_tokens_total",
            "xf_time_to_first_token_seconds_count")
    return codes, {key: after[key] - before[key] for key in keys}


def check_counters(before, after, results, phase):
    """The server's counters between the snapshots equal the clients'."""
    codes, deltas = counter_deltas(before, after)
    seen = {}
    for result in results:
        seen[result.status] = seen.get(result.status, 0) + 1
    check(codes == seen, f"{phase}: /metrics counted {codes}, the clients saw {seen}")
    ok = [r for r in results if r.status == 200]
    prompt = sum(r.usage["prompt_tokens"] for r in ok)
    generated = sum(r.usage["completion_tokens"] for r in ok)
    check(deltas["xf_prompt_tokens_total"] == prompt,
          f"{phase}: {deltas['xf_prompt_tokens_total']} prompt tokens counted, "
          f"the clients' usage says {prompt}")
    check(deltas["xf_generation_tokens_total"] == generated,
          f"{phase}: {deltas['xf_generation_tokens_total']} tokens generated, "
          f"the clients' usage says {generated}")
    check(deltas["xf_time_to_first_token_seconds_count"] == len(ok),
          f"{phase}: {deltas['xf_time_to_first_token_seconds_count']} first tokens "
          f"counted for {len(ok)} requests")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def under_capacity(server, name, seconds):
    before = metrics(server)
    start = time.monotonic()

    async def refused(result):
        pass  # a failure; reported below

    results = asyncio.run(run_clients(server.port, name, CAPACITY, seconds, refused))
    elapsed = time.monotonic() - start
    failed = [r for r in results if r.status != 200 or r.error]
    for r in failed[:5]:
        print(f"  failed: status {r.status}: {r.error} {r.body[:200]!r}")
    check(not failed, f"under capacity: {len(failed)} of {len(results)} requests failed")
    check(len(results) >= CAPACITY, f"only {len(results)} requests in {seconds} s")
    # Every answer was read to its end, so it is counted already.
    check_counters(before, metrics(server), results, "under capacity")
    wait_for(lambda: idle(server), "the load to drain")
    tokens = sum(r.usage["completion_tokens"] for r in results)
    ttft = [r.ttft for r in results if r.ttft is not None]
    print(f"ok {CAPACITY} concurrent streams for {elapsed:.0f} s: {len(results)} requests, "
          f"0 failed; {len(results) / elapsed:.1f} requests/s, {tokens / elapsed:.0f} "
          f"tokens/s; time to first token p50 {percentile(ttft, 0.5) * 1000:.0f} ms, "
          f"p99 {percentile(ttft, 0.99) * 1000:.0f} ms")


def over_capacity(server, name, seconds):
    clients = 4 * CAPACITY
    rss_before = server.rss_kib()
    rss_peak = rss_before
    before = metrics(server)

    async def refused(result):
        await asyncio.sleep(0)  # retry at once: as much pressure as we can make

    async def with_rss_sampling():
        nonlocal rss_peak
        load = asyncio.ensure_future(run_clients(server.port, name, clients, seconds, refused))
        while not load.done():
            rss_peak = max(rss_peak, server.rss_kib())
            await asyncio.wait([load], timeout=0.25)
        return load.result()

    start = time.monotonic()
    results = asyncio.run(with_rss_sampling())
    elapsed = time.monotonic() - start
    statuses = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if r.status == 429:
            check(r.headers.get("retry-after") == "1", f"a 429 without Retry-After: {r.headers}")
            error = json.loads(r.body)["error"]
            check(error["code"] == "rate_limit_exceeded", f"429 body {r.body[:200]!r}")
        elif r.status == 200:
            check(r.error is None, f"over capacity: a 200 that failed: {r.error}")
        else:
            fail(f"over capacity: status {r.status} ({r.error}) {r.body[:200]!r}; "
                 f"statuses so far {statuses}")
    check(statuses.get(200, 0) > 0 and statuses.get(429, 0) > 0,
          f"{clients} clients against a capacity of {CAPACITY}: {statuses}")
    check_counters(before, metrics(server), results, "over capacity")
    wait_for(lambda: idle(server), "the overload to drain", 30)
    rss_peak = max(rss_peak, server.rss_kib())
    grown = rss_peak - rss_before
    check(grown < RSS_BOUND_KIB, f"RSS grew by {grown} KiB under overload")
    # The connection queue's refusals (HttpServer) say so; admission's
    # (Serve.cpp) name the capacity.
    queue_full = sum(b"too many connections" in r.body for r in results if r.status == 429)
    print(f"ok {clients} concurrent clients for {elapsed:.0f} s: {statuses.get(200, 0)} x 200, "
          f"{statuses.get(429, 0)} x 429 (with Retry-After; {queue_full} of them with the "
          f"connection queue full), nothing else; RSS "
          f"{rss_before // 1024} MiB, peak +{grown} KiB (bound {RSS_BOUND_KIB} KiB)")


def still_serving(server, name):
    status, _, body = request(server, "GET", "/health", key=None)
    check(status == 200 and json.loads(body)["status"] == "ok", f"/health after load: {status}")
    status, _, body = request(server, "POST", "/v1/completions",
                              {"model": name, "prompt": "After", "max_tokens": 8})
    check(status == 200 and json.loads(body)["usage"]["completion_tokens"] == 8,
          f"a completion after load: {status} {body[:200]!r}")
    check(server.process.poll() is None, "the server exited")
    print("ok the server is idle and still answers")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--model-script", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--duration", type=float, default=60,
                        help="seconds of load under capacity (default 60)")
    parser.add_argument("--overload-duration", type=float, default=20,
                        help="seconds of load at 4x capacity (default 20)")
    args = parser.parse_args()

    name = "served"
    program = compile_example(args.xfc, args.model_script, args.workdir, name)
    server = Server(program, ["--kv-memory", "64M"], max_batch=MAX_BATCH, max_queue=MAX_QUEUE)
    try:
        under_capacity(server, name, args.duration)
        over_capacity(server, name, args.overload_duration)
        still_serving(server, name)
    except BaseException:
        print("".join(server.log[-40:]), file=sys.stderr)
        raise
    finally:
        server.kill()
    print("PASS")


if __name__ == "__main__":
    main()
