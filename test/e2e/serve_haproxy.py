#!/usr/bin/env python3
"""Two `OUT serve` replicas behind HAProxy with the repository's
configuration (deploy/haproxy.cfg), and one of them killed mid-load.

The Llama example (compiled as serve_openai.py compiles it) runs as two
replicas on free ports, each with an API key and a capacity of 32
(--max-batch 8, --max-queue 24); haproxy runs in the foreground with the
configuration's addresses set through its environment variables. Checked:

1. Both replicas come UP by their /health checks (L7OK on the stats page).
2. Prefix affinity: six chat requests with one system prompt all go to one
   replica (the stats' session counters, the X-Replica header), whose
   prefix cache then supplies the system prompt's blocks; requests with
   different system prompts reach both replicas.
3. Failover: 16 clients send chat completions request after request, 8
   with system prompts that step 2 saw routed to each replica (of each 8,
   6 stream and 2 do not); after --kill-after seconds one replica is killed
   with SIGKILL, and the load goes on for --load-after seconds more. Then:
   - every request served by the survivor completed (a 200 whose stream
     ends with `data: [DONE]`, or a whole JSON answer), those in flight at
     the kill included, and at least one was in flight then;
   - the requests that failed were streams already under way on the killed
     replica when it died (nothing can save those): all on it, all started
     before the kill; they are counted and reported. Every non-streamed
     request succeeded, and at least one in flight on the killed replica
     was answered by the survivor (the proxy replays a request that a
     replica dropped without an answer), and so did every request started
     between the kill and DOWN (the proxy retries those that met a refused
     connection);
   - every request started after the proxy marked it DOWN succeeded;
   - the stats page shows the killed replica DOWN (its check failing at
     layer 4) and the survivor UP, so do the proxy's Prometheus metrics,
     and haproxy logged the change.
4. Afterwards new requests, whatever their prefix, all succeed on the
   survivor, and the survivor is idle (no sequence, no KV block held).
5. A rolling restart: the killed replica starts again on its port and the
   proxy marks it UP; then the other gets SIGTERM under the same load. No
   request fails (it finishes the requests it holds, what it refuses with
   503 while stopping the proxy retries on the other, and /health's 503
   takes it out), it exits 0 and is DOWN on the stats page.

Every wait has a timeout, and haproxy and both replicas are killed at the
end whatever happens. A missing haproxy is a skip (exit 77), except under
CI=true, where it is a failure.

    python3 test/e2e/serve_haproxy.py --xfc build/bin/xfc \\
        --model-script examples/make_llama_block.py \\
        --config deploy/haproxy.cfg --workdir /tmp/serve-haproxy
"""
import argparse
import asyncio
import csv
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_load import Result, stream_request  # noqa: E402
from serve_openai import (Server, check, compile_example, fail, idle,  # noqa: E402
                          metrics, wait_for)

MAX_BATCH, MAX_QUEUE = 8, 24
CLIENTS = 16
REQUEST_TIMEOUT = 60
NAME = "served"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proxy:
    """haproxy in the foreground with the repository's configuration, on free
    ports; stopped by kill()."""

    def __init__(self, haproxy, config, replicas, workdir):
        self.port, self.stats_port = free_port(), free_port()
        self.socket = os.path.join(tempfile.gettempdir(), f"xf-haproxy-{os.getpid()}.sock")
        env = dict(os.environ,
                   XF_PROXY_BIND=f"127.0.0.1:{self.port}",
                   XF_STATS_BIND=f"127.0.0.1:{self.stats_port}",
                   XF_HAPROXY_SOCKET=self.socket,
                   XF_REPLICA1=f"127.0.0.1:{replicas[0].port}",
                   XF_REPLICA2=f"127.0.0.1:{replicas[1].port}")
        self.log_path = os.path.join(workdir, "haproxy.log")
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen([haproxy, "-f", config, "-db"], env=env,
                                        stdout=self.log_file, stderr=subprocess.STDOUT)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stats(self):
        """The stats page's rows for the replicas, by server name."""
        url = f"http://127.0.0.1:{self.stats_port}/stats;csv"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
        rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
        return {row["svname"]: row for row in rows
                if row["pxname"] == "replicas" and row["svname"] != "BACKEND"}

    def server_states(self):
        """The state each replica is in by the Prometheus exporter."""
        url = f"http://127.0.0.1:{self.stats_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
        states = {}
        for line in text.splitlines():
            if line.startswith('haproxy_server_status{proxy="replicas"') and line.endswith(" 1"):
                labels = dict(item.split("=") for item in line[line.index("{") + 1:
                                                               line.index("}")].split(","))
                states[labels["server"].strip('"')] = labels["state"].strip('"')
        return states

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.log_file.close()
        if os.path.exists(self.socket):
            os.remove(self.socket)


def chat_body(system, user, max_tokens, stream=True):
    body = {"model": NAME, "max_tokens": max_tokens, "temperature": 0.8, "stream": stream,
            "messages": [{"role": "system", "content": system},
                         {"role": "user", "content": user}]}
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


def system_prompt(index):
    return (f"System prompt number {index}: you are a helpful assistant who answers "
            "briefly and never repeats the question.")


async def timed_request(port, body):
    """A chat completion through the proxy (streamed or not, as `body`
    says), with when it started and ended and which replica answered."""
    start = time.monotonic()
    try:
        result = await asyncio.wait_for(stream_request(port, "/v1/chat/completions", body),
                                        REQUEST_TIMEOUT)
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as e:
        result = Result()
        result.error = f"{type(e).__name__}: {e}"
    result.start, result.end = start, time.monotonic()
    result.replica = result.headers.get("x-replica")
    result.streamed = body["stream"]
    result.system = body["messages"][0]["content"]
    result.ok = result.status == 200 and result.error is None
    return result


def wait_until_up(proxy, names):
    deadline = time.time() + 20
    while time.time() < deadline:
        if proxy.process.poll() is not None:
            fail(f"haproxy exited ({proxy.process.returncode}):\n{proxy.log()}")
        try:
            stats = proxy.stats()
            if all(stats.get(n, {}).get("status") == "UP" for n in names):
                return stats
        except OSError:
            pass
        time.sleep(0.1)
    fail(f"the replicas did not come UP behind haproxy:\n{proxy.log()}")


def test_health(proxy):
    stats = wait_until_up(proxy, ["r1", "r2"])
    for name in ("r1", "r2"):
        check(stats[name]["check_status"] == "L7OK",
              f"{name}'s health check: {stats[name]['check_status']}")
    print("ok both replicas UP by their /health checks")


def test_affinity(proxy, replicas):
    before = proxy.stats()
    hits = [metrics(r)["xf_prefix_cache_hit_tokens_total"] for r in replicas]

    async def same_prefix():
        return [await timed_request(proxy.port, chat_body(system_prompt(100), f"Question {i}", 4))
                for i in range(6)]

    results = asyncio.run(same_prefix())
    check(all(r.ok for r in results), f"affinity requests failed: {[r.error for r in results]}")
    served = {r.replica for r in results}
    check(len(served) == 1, f"one system prompt went to {[r.replica for r in results]}")
    after = proxy.stats()
    sessions = {n: int(after[n]["stot"]) - int(before[n]["stot"]) for n in ("r1", "r2")}
    check(sorted(sessions.values()) == [0, 6], f"sessions per replica {sessions}")
    index = 0 if served == {"r1"} else 1
    reused = metrics(replicas[index])["xf_prefix_cache_hit_tokens_total"] - hits[index]
    check(reused >= 5 * 64, f"the system prompt was reused for {reused} tokens only")

    async def other_prefixes():
        return [await timed_request(proxy.port, chat_body(system_prompt(200 + i), "Hi", 4))
                for i in range(16)]

    results = asyncio.run(other_prefixes())
    check(all(r.ok for r in results), "requests with other system prompts failed")
    spread = {r.replica for r in results}
    check(spread == {"r1", "r2"}, f"16 system prompts all went to {spread}")
    placed = {name: [system_prompt(200 + i) for i, r in enumerate(results) if r.replica == name]
              for name in ("r1", "r2")}
    print(f"ok prefix affinity: one system prompt, one replica ({int(reused)} prompt tokens "
          f"from its prefix cache); 16 system prompts on both "
          f"({len(placed['r1'])} on r1, {len(placed['r2'])} on r2)")
    return placed


def load_with_event(proxy, placed, before, after, event, name):
    """CLIENTS clients sending request after request for `before` + `after`
    seconds, half of them with system prompts routed to each replica
    (`placed`), a quarter of each half not streamed; `event()` is called
    after `before` seconds. Returns when it was called, when the proxy
    first showed replica `name` DOWN after it, and every result."""
    assignments = []
    for replica in ("r1", "r2"):
        prompts = placed[replica]
        assignments += [(prompts[i % len(prompts)], i % 4 != 3) for i in range(CLIENTS // 2)]
    down_at = None
    stop = threading.Event()

    def watch():
        # When the proxy says the replica is DOWN, as a client would learn it.
        nonlocal down_at
        while not stop.is_set() and down_at is None:
            try:
                if proxy.stats()[name]["status"].startswith("DOWN"):
                    down_at = time.monotonic()
            except OSError:
                pass
            time.sleep(0.05)

    async def load():
        start = time.monotonic()
        event_at, end = start + before, start + before + after
        results = []

        async def client(index):
            serial = 0
            while time.monotonic() < end:
                system, stream = assignments[index]
                body = chat_body(system, f"Client {index} #{serial}", 256, stream=stream)
                serial += 1
                results.append(await timed_request(proxy.port, body))

        async def trigger():
            await asyncio.sleep(event_at - time.monotonic())
            event()
            happened = time.monotonic()
            threading.Thread(target=watch, daemon=True).start()
            return happened

        gathered = await asyncio.wait_for(
            asyncio.gather(trigger(), *(client(i) for i in range(CLIENTS))),
            before + after + REQUEST_TIMEOUT + 10)
        return gathered[0], results

    try:
        happened, results = asyncio.run(load())
        wait_for(lambda: down_at is not None, f"haproxy to mark {name} DOWN", 10)
    finally:
        stop.set()
    return happened, down_at, results


def test_failover(proxy, replicas, placed, kill_after, load_after):
    """`placed`: system prompts by the replica they are routed to."""
    victim, survivor = ("r1", replicas[0]), ("r2", replicas[1])
    killed, down_at, results = load_with_event(
        proxy, placed, kill_after, load_after, victim[1].process.kill, victim[0])
    victim[1].process.wait(10)

    before = [r for r in results if r.end <= killed]
    check({r.replica for r in before if r.ok} == {"r1", "r2"},
          "both replicas carried load before the kill")
    failed = [r for r in results if not r.ok]
    for r in failed:
        check(r.streamed and r.replica == victim[0],
              f"a request failed elsewhere than on the killed replica: {r.replica} "
              f"status {r.status}: {r.error} {r.body[:200]!r}")
        check(r.start < killed,
              f"a request started {r.start - killed:.2f} s after the kill failed: {r.error}")
    on_survivor = [r for r in results if r.replica == survivor[0]]
    check(all(r.ok for r in on_survivor), "a request on the survivor failed")
    in_flight = [r for r in on_survivor if r.start < killed < r.end]
    cut = [r for r in results if r.replica == victim[0] and r.start < killed < r.end]
    # Not streamed: an answer a dead replica never began is replayed elsewhere.
    plain = [r for r in results if not r.streamed and r.start < killed < r.end]
    replayed = [r for r in plain if r.system in placed[victim[0]] and r.replica == survivor[0]]
    check(replayed, f"no non-streamed request in flight on {victim[0]} at the kill was "
          f"answered by {survivor[0]}")
    check(in_flight, "no request was in flight on the survivor at the kill")
    after_down = [r for r in results if r.start >= down_at]
    check(after_down and all(r.ok and r.replica == survivor[0] for r in after_down),
          "a request started after the replica was marked DOWN failed")
    window = [r for r in results if killed <= r.start < down_at]
    check(all(r.ok for r in window), "a request started between the kill and DOWN failed")

    stats = proxy.stats()
    check(stats[victim[0]]["status"].startswith("DOWN"), f"{victim[0]}: {stats[victim[0]]}")
    check(stats[victim[0]]["check_status"].startswith("L4"),
          f"{victim[0]}'s check: {stats[victim[0]]['check_status']}")
    check(stats[survivor[0]]["status"] == "UP", f"{survivor[0]}: {stats[survivor[0]]}")
    check(f"Server replicas/{victim[0]} is DOWN" in proxy.log(), "haproxy did not log the DOWN")
    states = proxy.server_states()
    check(states == {victim[0]: "DOWN", survivor[0]: "UP"}, f"Prometheus says {states}")
    print(f"ok SIGKILL of {victim[0]} under {CLIENTS} clients: {len(results)} requests, "
          f"{len(failed)} failed ({len(cut)} streams were under way on {victim[0]} when it "
          f"died); {len(in_flight)} in flight on {survivor[0]} completed, and "
          f"{len(plain)} non-streamed ones in flight at the kill ({len(replayed)} on "
          f"{victim[0]}, replayed on {survivor[0]}); marked DOWN "
          f"{down_at - killed:.2f} s after the kill, {len(window)} requests started "
          f"meanwhile all succeeded, {len(after_down)} after DOWN all succeeded "
          f"on {survivor[0]}")
    return survivor


def test_rolling_restart(proxy, program, replicas, placed, before, after):
    """The killed replica starts again on its port and comes back UP; then
    the other gets SIGTERM under load: it finishes the requests it holds
    and exits 0, the proxy takes it out, and not one request fails."""
    restarted = Server(program, ["--kv-memory", "64M", "--port", str(replicas[0].port)],
                       max_batch=MAX_BATCH, max_queue=MAX_QUEUE)
    replicas.append(restarted)  # killed at the end with the others
    start = time.monotonic()
    wait_until_up(proxy, ["r1"])
    back = time.monotonic() - start
    stopping = replicas[1]
    stopped, down_at, results = load_with_event(
        proxy, placed, before, after, lambda: stopping.process.send_signal(signal.SIGTERM), "r2")
    try:
        code = stopping.process.wait(40)
    except subprocess.TimeoutExpired:
        fail("the replica did not exit after SIGTERM")
    check(code == 0, f"exit status {code} after SIGTERM")
    failed = [r for r in results if not r.ok]
    check(not failed, f"{len(failed)} requests failed during the SIGTERM: "
          f"{[(r.replica, r.status, r.error) for r in failed[:5]]}")
    finishing = [r for r in results if r.replica == "r2" and r.start < stopped < r.end]
    check(finishing, "no request was in flight on the stopping replica")
    check(all(r.replica == "r1" for r in results if r.start >= down_at),
          "a request went to the stopped replica after it was DOWN")
    stats = proxy.stats()
    check(stats["r1"]["status"] == "UP" and stats["r2"]["status"].startswith("DOWN"),
          f"after the SIGTERM: r1 {stats['r1']['status']}, r2 {stats['r2']['status']}")
    print(f"ok rolling restart: r1 restarted, UP again after {back:.1f} s; r2 stopped by "
          f"SIGTERM under load: {len(results)} requests, none failed, {len(finishing)} "
          f"in flight on r2 finished there, DOWN after {down_at - stopped:.2f} s, exit 0")


def test_after(proxy, survivor):
    async def fresh():
        return await asyncio.gather(*(timed_request(
            proxy.port, chat_body(system_prompt(300 + i), "Still there?", 16))
            for i in range(12)))

    results = asyncio.run(fresh())
    check(all(r.ok and r.replica == survivor[0] for r in results),
          f"after the kill: {[(r.replica, r.status, r.error) for r in results]}")
    wait_for(lambda: idle(survivor[1]), "the survivor to be idle")
    print(f"ok 12 new requests, 12 prefixes, all on {survivor[0]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--model-script", required=True)
    parser.add_argument("--config", required=True, help="deploy/haproxy.cfg")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--kill-after", type=float, default=5,
                        help="seconds of load before the kill (default 5)")
    parser.add_argument("--load-after", type=float, default=8,
                        help="seconds of load after it (default 8)")
    args = parser.parse_args()
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if not haproxy:
        print("SKIPPED: haproxy is missing (scripts/setup.sh installs it)")
        sys.exit(1 if os.environ.get("CI") == "true" else 77)

    program = compile_example(args.xfc, args.model_script, args.workdir, NAME)
    replicas, proxy = [], None
    try:
        for _ in range(2):
            replicas.append(Server(program, ["--kv-memory", "64M"],
                                   max_batch=MAX_BATCH, max_queue=MAX_QUEUE))
        proxy = Proxy(haproxy, args.config, replicas, args.workdir)
        test_health(proxy)
        placed = test_affinity(proxy, replicas)
        survivor = test_failover(proxy, replicas, placed, args.kill_after, args.load_after)
        test_after(proxy, survivor)
        test_rolling_restart(proxy, program, replicas, placed, 3, 5)
    except BaseException:
        if proxy:
            print(proxy.log()[-4000:], file=sys.stderr)
        for replica in replicas:
            print("".join(replica.log[-20:]), file=sys.stderr)
        raise
    finally:
        if proxy:
            proxy.kill()
        for replica in replicas:
            replica.kill()
    print("PASS")


if __name__ == "__main__":
    main()
