"""What the benchmarks share: how busy the machine is (from /proc), waiting
for it to be idle, a process's CPU time, comma-separated integer options,
and replacing one section of docs/benchmarks.md."""
import os
import re
import time

HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_jiffies():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle, sum(fields[:8])


def busy_fraction(seconds=2.0):
    """How busy the machine's CPUs are, 0..1, over the next `seconds`."""
    a = cpu_jiffies()
    time.sleep(seconds)
    b = cpu_jiffies()
    if not a or not b or b[1] == a[1]:
        return 0.0
    return (b[0] - a[0]) / (b[1] - a[1])


def process_cpu_s(pid):
    """utime + stime of a process (all its threads), in seconds (0 when it
    cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / HZ
    except (OSError, ValueError, IndexError):
        return 0.0


def wait_for_idle(limit_s, threshold=0.15):
    """Waits up to limit_s for the CPUs to be (nearly) idle; returns the last
    busy fraction seen (None when limit_s <= 0: no wait, no reading)."""
    if limit_s <= 0:
        return None
    deadline = time.time() + limit_s
    busy = busy_fraction(min(2.0, max(limit_s, 0.5)))
    announced = False
    while busy > threshold and time.time() < deadline:
        if not announced:
            print(f"   the machine is {busy * 100:.0f}% busy with other work; waiting up to "
                  f"{limit_s:.0f} s for it to quiet down", flush=True)
            announced = True
        busy = busy_fraction(5.0)
    return busy


def memory_total():
    """The machine's memory as "24 GiB", or None when /proc does not say."""
    try:
        with open("/proc/meminfo") as fh:
            kib = int(re.search(r"MemTotal:\s*(\d+)", fh.read()).group(1))
    except (OSError, AttributeError):
        return None
    return f"{kib / 2**20:.0f} GiB"


def int_list(text):
    """"1,8,32" -> [1, 8, 32] (an argparse type)."""
    return [int(x) for x in text.split(",") if x.strip()]


def write_docs(path, section, header):
    """Replaces the section of docs `path` that starts with `header` (up to
    the next "## "), or appends it; the other sections are left as they are."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    start = text.find(header + "\n")
    if start >= 0:
        nxt = re.search(r"^## ", text[start + len(header):], re.M)
        end = start + len(header) + nxt.start() if nxt else len(text)
        text = text[:start] + section + ("\n" if nxt else "") + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
