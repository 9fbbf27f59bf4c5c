#!/usr/bin/env python3
"""`OUT serve` against real clients: the official `openai` package and a small
asyncio HTTP client, on loopback.

The Llama example is compiled with a 256-token byte-level tokenizer and a
plain-text chat template written next to it, then served on a free port
(`--port 0`) with an API key and a small capacity (--max-batch 4,
--max-queue 4). Checked, each against the program itself where it can be:

1. GET /v1/models lists the program; a wrong API key is a 401 for the
   client; /health needs none.
2. Greedy /v1/completions and /v1/chat/completions give exactly the text of
   `OUT --prompt P` and `OUT --chat --prompt P`, with usage (prompt and
   completion tokens) and finish_reason "length"; streamed, the chunks add
   up to the same text, the first carries the assistant role, the last the
   finish reason, a usage chunk follows when asked, and the raw event
   stream ends with `data: [DONE]`.
3. Stop strings: cut exactly before the first occurrence in the greedy
   text, finish_reason "stop", streamed and not.
4. Seeded sampling: the same seed gives the same text twice and the text of
   `OUT --prompt P --temperature T --seed S`; another seed another text.
5. Errors: n = 2, an unknown field, a wrong type, malformed JSON, invalid
   UTF-8, an unknown model, a prompt longer than the context, a huge body
   and huge headers each get a clean 4xx with an OpenAI error object (or
   431/413 from the HTTP layer), and the server stays up.
6. Prefix sharing: the same long prompt twice; /metrics shows the second
   took its whole blocks from the prefix cache.
7. A client that disconnects mid-stream, and a half-closed one: their
   sequences are cancelled and every KV block is freed (xf_kv_blocks_used
   and xf_running_sequences back to 0). Clients that stall in their headers
   or body do not delay others and are cut off by the read timeout.
8. Load: 8 concurrent streams (the capacity) all complete; 48 concurrent
   requests get only 200s and 429s (with Retry-After), at least one 429,
   the server's RSS grows by less than 64 MiB and it still answers.
9. SIGTERM with a stream in flight: the stream completes with [DONE], new
   requests are refused, and the process exits 0.
10. A second server with a KV pool of 8 blocks and 4 concurrent requests
   that need 5 each: sequences are preempted and resumed, and every greedy
   text equals the program's for that prompt alone.

Every wait has a timeout and the server is killed at the end whatever
happens. A missing `openai` package is a skip (exit 77), except under
CI=true, where it is a failure.

    python3 test/e2e/serve_openai.py --xfc build/bin/xfc \\
        --model-script examples/make_llama_block.py --workdir /tmp/serve
"""
import argparse
import asyncio
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quality_report import byte_level_tokenizer  # noqa: E402

KEY = "test-key-123"
CHAT_TEMPLATE = ("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n"
                 "{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}")
MAX_BATCH, MAX_QUEUE = 4, 4


def fail(message):
    raise SystemExit(f"FAIL {message}")


def check(condition, message):
    if not condition:
        fail(message)


class Server:
    """The program's `serve`, on a free port; stopped by stop() or kill()."""

    def __init__(self, program, extra=(), max_batch=MAX_BATCH, max_queue=MAX_QUEUE):
        self.process = subprocess.Popen(
            [program, "serve", "--port", "0", "--api-key", KEY,
             "--max-batch", str(max_batch), "--max-queue", str(max_queue)] + list(extra),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.log = []
        self.port = None
        ready = threading.Event()

        def read():
            for line in self.process.stderr:
                self.log.append(line)
                found = re.search(r"on http://127\.0\.0\.1:(\d+)", line)
                if found:
                    self.port = int(found.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(30) or self.port is None:
            self.kill()
            fail("the server did not start:\n" + "".join(self.log))

    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def request(server, method, path, body=None, headers=None, key=KEY, timeout=30):
    """(status, headers, body bytes) of one request on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    all_headers = {"Content-Type": "application/json"}
    if key:
        all_headers["Authorization"] = f"Bearer {key}"
    all_headers.update(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    connection.request(method, path, body=body, headers=all_headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), data


def metrics(server):
    status, _, data = request(server, "GET", "/metrics")
    check(status == 200, f"/metrics answered {status}")
    values = {}
    for line in data.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def wait_for(condition, what, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    fail(f"timed out waiting for {what}")


def program_text(program, args):
    out = subprocess.run([program] + args, capture_output=True, timeout=60)
    check(out.returncode == 0, f"{program} {args}: {out.stderr.decode()}")
    text = out.stdout.decode("utf-8")
    check(text.endswith("\n"), "the program's output ends with a newline")
    return text[:-1]


def check_error(status, body, expected_status, param=None):
    check(status == expected_status, f"status {status}, expected {expected_status}: {body!r}")
    error = json.loads(body)["error"]
    check(error["message"] and error["type"], f"error object {error}")
    if param is not None:
        check(error["param"] == param, f"param {error['param']!r}, expected {param!r}")


def test_models_and_auth(server, client, openai, name):
    models = client.models.list()
    check([m.id for m in models.data] == [name], f"models {models.data}")
    wrong = openai.OpenAI(base_url=server.url() + "/v1", api_key="wrong", max_retries=0)
    try:
        wrong.models.list()
        fail("a wrong API key was accepted")
    except openai.AuthenticationError:
        pass
    status, _, _ = request(server, "GET", "/v1/models", key=None)
    check(status == 401, f"no API key: {status}")
    status, _, body = request(server, "GET", "/health", key=None)
    check(status == 200 and json.loads(body)["status"] == "ok", f"/health {status}")
    print("ok models, API key, health")


def stream_text(chunks, chat):
    text, finish, roles, usage = "", None, [], None
    for chunk in chunks:
        if chunk.usage:
            usage = chunk.usage
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        if chat:
            if choice.delta.role:
                roles.append(choice.delta.role)
            text += choice.delta.content or ""
        else:
            text += choice.text
        if choice.finish_reason:
            check(finish is None, "two finish reasons")
            finish = choice.finish_reason
    return text, finish, roles, usage


def test_greedy(server, client, program, name):
    prompt = "Hello, world"
    expected = program_text(program, ["--prompt", prompt, "--max-tokens", "24"])
    got = client.completions.create(model=name, prompt=prompt, max_tokens=24, temperature=0)
    check(got.choices[0].text == expected,
          f"completion {got.choices[0].text!r} != program {expected!r}")
    check(got.choices[0].finish_reason == "length", f"finish {got.choices[0].finish_reason}")
    check(got.usage.completion_tokens == 24 and got.usage.prompt_tokens == len(prompt.encode()),
          f"usage {got.usage}")
    streamed = client.completions.create(model=name, prompt=prompt, max_tokens=24,
                                         temperature=0, stream=True)
    text, finish, _, _ = stream_text(streamed, chat=False)
    check(text == expected and finish == "length", f"streamed completion {text!r} {finish}")

    question = "What is 2 + 2?"
    expected = program_text(program, ["--chat", "--prompt", question, "--max-tokens", "20"])
    messages = [{"role": "user", "content": question}]
    got = client.chat.completions.create(model=name, messages=messages, max_tokens=20,
                                         temperature=0)
    message = got.choices[0].message
    check(message.role == "assistant" and message.content == expected,
          f"chat {message.content!r} != program {expected!r}")
    check(got.usage.completion_tokens == 20, f"chat usage {got.usage}")
    streamed = client.chat.completions.create(
        model=name, messages=messages, max_tokens=20, temperature=0, stream=True,
        stream_options={"include_usage": True})
    text, finish, roles, usage = stream_text(streamed, chat=True)
    check(text == expected and finish == "length" and roles == ["assistant"],
          f"streamed chat {text!r} {finish} {roles}")
    check(usage is not None and usage.completion_tokens == 20, f"stream usage {usage}")

    # The raw event stream.
    status, headers, body = request(server, "POST", "/v1/chat/completions", {
        "model": name, "messages": messages, "max_tokens": 5, "stream": True})
    check(status == 200 and headers.get("Content-Type", "").startswith("text/event-stream"),
          f"stream status {status} {headers}")
    events = [e for e in body.decode().split("\n\n") if e]
    check(all(e.startswith("data: ") for e in events), f"events {events}")
    check(events[-1] == "data: [DONE]", f"last event {events[-1]!r}")
    print("ok greedy text equals the program's, streamed and not")
    return expected


def test_stop(client, program, name):
    prompt = "Stop here"
    full = program_text(program, ["--prompt", prompt, "--max-tokens", "40"])
    stop = full[12:15]
    check(len(stop) == 3, f"greedy text too short: {full!r}")
    expected = full[:full.find(stop)]
    got = client.completions.create(model=name, prompt=prompt, max_tokens=40,
                                    temperature=0, stop=[stop, "\u2603never"])
    check(got.choices[0].text == expected and got.choices[0].finish_reason == "stop",
          f"stop {stop!r}: {got.choices[0].text!r} {got.choices[0].finish_reason}, "
          f"expected {expected!r}")
    streamed = client.completions.create(model=name, prompt=prompt, max_tokens=40,
                                         temperature=0, stop=stop, stream=True)
    text, finish, _, _ = stream_text(streamed, chat=False)
    check(text == expected and finish == "stop", f"streamed stop: {text!r} {finish}")
    print("ok stop strings")


def test_seeded(client, program, name):
    prompt = "Random"
    args = dict(model=name, prompt=prompt, max_tokens=32, temperature=1.0, top_p=0.95)
    a = client.completions.create(seed=1234, **args).choices[0].text
    b = client.completions.create(seed=1234, **args).choices[0].text
    c = client.completions.create(seed=99, **args).choices[0].text
    expected = program_text(program, ["--prompt", prompt, "--max-tokens", "32", "--temperature",
                                      "1.0", "--top-p", "0.95", "--seed", "1234"])
    check(a == b == expected, f"seeded: {a!r} / {b!r} / program {expected!r}")
    check(a != c, "another seed gave the same 32 sampled tokens")
    top_k = client.completions.create(seed=5, extra_body={"top_k": 1}, **args).choices[0].text
    greedy = client.completions.create(model=name, prompt=prompt, max_tokens=32,
                                       temperature=0).choices[0].text
    check(top_k == greedy, "top_k = 1 is not greedy")
    print("ok seeded sampling reproducible and equal to the program's")


def test_errors(server, client, openai, name):
    try:
        client.completions.create(model=name, prompt="x", n=2)
        fail("n = 2 was accepted")
    except openai.BadRequestError as e:
        check(e.status_code == 400 and e.body["param"] == "n", f"n = 2: {e.body}")
    try:
        client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "x"}])
        fail("an unknown model was accepted")
    except openai.NotFoundError:
        pass
    path = "/v1/chat/completions"
    user = [{"role": "user", "content": "x"}]
    cases = [
        ({"model": name, "messages": user, "logprobs": True}, 400, "logprobs"),
        ({"model": name, "messages": user, "tools": []}, 400, "tools"),
        ({"model": name, "messages": user, "max_tokens": "5"}, 400, "max_tokens"),
        ({"model": name, "messages": user, "max_tokens": 10**30}, 400, "max_tokens"),
        ('{"model": "%s", "messages": [], "temperature": 1e999}' % name, 400, None),
        ({"model": name, "messages": "hi"}, 400, "messages"),
        ('{"model": "%s", "messages": [' % name, 400, None),
        (b'{"model": "m\xff", "messages": []}', 400, None),
        ("[" * 100000, 400, None),
        ({"model": name, "messages": [{"role": "user", "content": "x" * 5000}]}, 400, "messages"),
    ]
    for body, expected, param in cases:
        status, _, data = request(server, "POST", path, body)
        check_error(status, data, expected, param)
    status, _, data = request(server, "POST", path, "x" * (2 << 20))
    check(status == 413, f"2 MiB body: {status}")
    status, _, _ = request(server, "GET", "/health", headers={"X-Big": "y" * 20000})
    check(status in (400, 431), f"20 KB header: {status}")
    status, _, data = request(server, "GET", "/v1/nothing")
    check_error(status, data, 404)
    status, _, _ = request(server, "GET", "/health", key=None)
    check(status == 200, "the server went down after bad requests")
    print("ok errors")


def test_prefix_sharing(server, client, name):
    prompt = "A long shared system prompt that fills several blocks of the cache. " * 2
    before = metrics(server)["xf_prefix_cache_hit_tokens_total"]
    for _ in range(2):
        client.completions.create(model=name, prompt=prompt, max_tokens=4, temperature=0)
    after = metrics(server)["xf_prefix_cache_hit_tokens_total"]
    whole_blocks = (len(prompt.encode()) // 16) * 16
    check(after - before >= whole_blocks - 16,
          f"prefix cache hits {after - before}, expected about {whole_blocks}")
    print(f"ok prefix sharing ({int(after - before)} prompt tokens reused)")


def idle(server):
    m = metrics(server)
    return m["xf_running_sequences"] == 0 and m["xf_kv_blocks_used"] == 0 and \
        m["xf_queue_depth"] == 0


def test_disconnect(server, name):
    body = json.dumps({"model": name, "prompt": "Go", "max_tokens": 1900, "stream": True})
    raw = (f"POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
           f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}")
    generated = metrics(server)["xf_generation_tokens_total"]
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(raw.encode())
        received = b""
        while b"data: " not in received:
            more = s.recv(4096)
            check(more, f"the stream ended before its first event: {received!r}")
            received += more
    wait_for(lambda: idle(server), "the disconnected stream's blocks to be freed")
    spent = metrics(server)["xf_generation_tokens_total"] - generated
    check(spent < 1900, f"the disconnected stream ran to the end ({spent} tokens)")
    # Half-closed: the request, then no more writing.
    body = json.dumps({"model": name, "prompt": "Go", "max_tokens": 1900})
    raw = raw.split("Content-Length")[0] + f"Content-Length: {len(body)}\r\n\r\n{body}"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(raw.encode())
        s.shutdown(socket.SHUT_WR)
        s.recv(65536)
    wait_for(lambda: idle(server), "the half-closed client's blocks to be freed")
    print(f"ok disconnected clients cancelled ({int(spent)} of 1900 tokens generated)")


def test_slow_clients(server, client, name):
    """Clients that stall in their headers or body hold a connection, not the
    server: others are answered meanwhile, and the stalled ones are cut off
    (closed, or answered 4xx) within the 10 s read timeout."""
    stalled = []
    for partial in (b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n",
                    b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                    b"Authorization: Bearer " + KEY.encode() + b"\r\n\r\n{\"model\""):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=20)
        s.sendall(partial)
        stalled.append(s)
    start = time.time()
    got = client.completions.create(model=name, prompt="meanwhile", max_tokens=4)
    check(got.usage.completion_tokens == 4, "a request beside stalled clients")
    check(time.time() - start < 5, "stalled clients delayed another request")
    for s in stalled:
        with s:
            answer = s.recv(4096)
        check(answer == b"" or answer.startswith(b"HTTP/1.1 4"),
              f"a stalled client got {answer[:100]!r}")
    check(time.time() - start < 16, "stalled clients were not cut off")
    print(f"ok stalled clients cut off after {time.time() - start:.1f} s")


async def http_request(port, body, stream):
    """One POST over asyncio streams: (status, headers, body text)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = json.dumps(body).encode()
    writer.write(
        f"POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        f"Connection: close\r\n\r\n".encode() + data)
    await writer.drain()
    response = await asyncio.wait_for(reader.read(), 60)
    writer.close()
    head, _, rest = response.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return status, headers, rest.decode(errors="replace")


async def load(port, name, count, max_tokens, stream):
    body = {"model": name, "prompt": "Load", "max_tokens": max_tokens, "temperature": 0.8,
            "stream": stream}
    return await asyncio.gather(*(http_request(port, body, stream) for _ in range(count)))


def test_load(server, name):
    results = asyncio.run(load(server.port, name, MAX_BATCH + MAX_QUEUE, 64, True))
    for status, _, body in results:
        check(status == 200, f"under capacity: status {status} {body[:200]}")
        check("data: [DONE]" in body, "under capacity: a stream did not end with [DONE]")
    wait_for(lambda: idle(server), "the load to drain")
    rss = server.rss_kib()
    statuses = []
    for _ in range(3):
        results = asyncio.run(load(server.port, name, 48, 1500, False))
        statuses += [status for status, _, _ in results]
        for status, headers, body in results:
            check(status in (200, 429), f"over capacity: status {status} {body[:200]}")
            if status == 429:
                check(headers.get("Retry-After") == "1", f"429 without Retry-After: {headers}")
                check(json.loads(body)["error"]["code"] == "rate_limit_exceeded", body)
            else:
                check(json.loads(body)["choices"][0]["finish_reason"] == "length", body[:200])
    check(statuses.count(429) > 0, "48 requests at once against a capacity of 8: no 429")
    grown = server.rss_kib() - rss
    check(grown < 64 * 1024, f"RSS grew by {grown} KiB under load")
    wait_for(lambda: idle(server), "the overload to drain")
    status, _, _ = request(server, "GET", "/health", key=None)
    check(status == 200, "the server is down after the load")
    print(f"ok load: {MAX_BATCH + MAX_QUEUE} streams complete; over capacity "
          f"{statuses.count(200)} x 200, {statuses.count(429)} x 429; RSS +{grown} KiB")


def test_sigterm(server, name):
    body = json.dumps({"model": name, "prompt": "Bye", "max_tokens": 600, "stream": True})
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("POST", "/v1/completions", body=body, headers={
        "Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    response = connection.getresponse()
    first = response.read1(4096)
    check(first.startswith(b"data: "), f"stream start {first[:100]!r}")
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    try:
        status, _, _ = request(server, "POST", "/v1/completions",
                               {"model": name, "prompt": "x"}, timeout=5)
        check(status == 503, f"a request after SIGTERM: {status}")
    except OSError:
        pass  # the listening socket is already closed
    rest = response.read()
    check((first + rest).rstrip().endswith(b"data: [DONE]"), "the in-flight stream was cut off")
    try:
        code = server.process.wait(40)
    except subprocess.TimeoutExpired:
        fail("the server did not exit after SIGTERM")
    check(code == 0, f"exit status {code} after SIGTERM")
    print("ok SIGTERM: the stream in flight finished, exit 0")


def requests_at_once(server, path, bodies, timeout=60):
    """Sends the requests on their own connections so that they reach the
    server together: each is written but for its last byte, then the last
    bytes go out back to back. Threads alone let a loaded machine stagger
    them so much that one finishes before the next arrives. Returns
    (status, body bytes) for each."""
    sockets, wires = [], []
    for body in bodies:
        payload = json.dumps(body).encode()
        wires.append((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Authorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode()
                     + payload)
        sockets.append(socket.create_connection(("127.0.0.1", server.port), timeout=timeout))
    for sock, wire in zip(sockets, wires):
        sock.sendall(wire[:-1])
    time.sleep(0.2)  # the server has read and is waiting on every request's last byte
    for sock, wire in zip(sockets, wires):
        sock.sendall(wire[-1:])
    results = []
    for sock in sockets:
        with sock:
            response = http.client.HTTPResponse(sock)
            response.begin()
            results.append((response.status, response.read()))
    return results


def test_preemption(program, name):
    """A KV pool of 8 blocks (128 tokens) for 4 concurrent requests of 5
    blocks each: sequences are preempted and recomputed, never dropped, and
    each greedy text is the one it has alone."""
    server = Server(program, ["--kv-memory", "64K"])
    try:
        prompts = [f"Prompt number {i} is here" for i in range(4)]
        bodies = [{"model": name, "prompt": p, "max_tokens": 56, "temperature": 0}
                  for p in prompts]
        results = requests_at_once(server, "/v1/completions", bodies)
        for prompt, (status, data) in zip(prompts, results):
            check(status == 200, f"preemption: status {status} {data[:200]!r}")
            alone = program_text(program, ["--prompt", prompt, "--max-tokens", "56"])
            text = json.loads(data)["choices"][0]["text"]
            check(text == alone, f"preempted {prompt!r}: {text!r} != alone {alone!r}")
        m = metrics(server)
        check(m["xf_preemptions_total"] > 0, "no preemption with 8 blocks for 20")
        check(idle(server), "blocks left in use after the preempted requests")
        print(f"ok preemption: {int(m['xf_preemptions_total'])} preemptions, every text "
              "equal to its text alone")
    finally:
        server.kill()


def compile_example(xfc, model_script, workdir, name):
    """Writes the example model with a byte-level tokenizer and a plain chat
    template into `workdir` and compiles it; returns the program's path."""
    os.makedirs(workdir, exist_ok=True)
    model = os.path.join(workdir, "model.onnx")
    subprocess.run([sys.executable, model_script, model], check=True,
                   stdout=subprocess.DEVNULL)
    byte_level_tokenizer(os.path.join(workdir, "tokenizer.json"))
    with open(os.path.join(workdir, "tokenizer_config.json"), "w") as f:
        json.dump({"chat_template": CHAT_TEMPLATE}, f)
    program = os.path.join(workdir, name)
    subprocess.run([xfc, model, "-o", program], check=True, stderr=subprocess.DEVNULL)
    return program


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--model-script", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    try:
        import openai
    except ImportError:
        print("SKIPPED: the openai package is missing (pip install -r requirements.txt)")
        sys.exit(1 if os.environ.get("CI") == "true" else 77)

    name = "served"
    program = compile_example(args.xfc, args.model_script, args.workdir, name)
    server = Server(program, ["--kv-memory", "64M"])
    try:
        client = openai.OpenAI(base_url=server.url() + "/v1", api_key=KEY, max_retries=0,
                               timeout=60)
        test_models_and_auth(server, client, openai, name)
        test_greedy(server, client, program, name)
        test_stop(client, program, name)
        test_seeded(client, program, name)
        test_errors(server, client, openai, name)
        test_prefix_sharing(server, client, name)
        test_disconnect(server, name)
        test_slow_clients(server, client, name)
        test_load(server, name)
        test_sigterm(server, name)
        test_preemption(program, name)
    except BaseException:
        print("".join(server.log[-40:]), file=sys.stderr)
        raise
    finally:
        server.kill()
    print("PASS")


if __name__ == "__main__":
    main()
