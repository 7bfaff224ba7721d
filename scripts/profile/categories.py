#!/usr/bin/env python3
"""Reads `perf script` output (call stacks) on stdin and prints where a process's CPU samples went, by component.

Each sample is counted once, under the FIRST category in CATEGORIES whose pattern matches any frame of its stack
(so the order is a priority: a journal write that ends in a futex counts as journal, not futex). Frames of JIT-ed
.NET code are named only when the process ran with DOTNET_PerfMapEnabled=1 (scripts/profile.sh sets it).
"""
import collections
import re
import sys

CATEGORIES = [
    ("JIT (tiered compilation)", r"libclrjit"),
    ("HTTP (Kestrel, ASP.NET Core)", r"Kestrel|AspNetCore|System\.IO\.Pipelines"),
    ("HTTP gateway (DistStack.Host)", r"DistStack\.Host"),
    ("journal (Akka.Persistence.Sql, linq2db, SQLite, fsync)",
     r"Akka\.Persistence\.Sql|LinqToDB|libe_sqlite3|Microsoft\.Data\.Sqlite|fsync|fdatasync"),
    ("Akka.Persistence (persistent actor, journal base)", r"Akka\.Persistence\."),
    ("snapshot writing (StackSnapshotCodec)", r"StackSnapshotCodec"),
    ("state machine (StackRegistry, stacks)", r"StackRegistry|DistStack\.Actors\.Stacks"),
    ("Raft core", r"DistStack\.Actors\.Raft\."),
    ("forwarded writes (ForwardedWrite actors)", r"ForwardedWrite"),
    ("RaftNode actor and its shell", r"DistStack\.Actors\.(Node|Shell)\."),
    ("wire serializer", r"DistStack\.Actors\.Serialization"),
    ("Akka.Remote (endpoints, codec)", r"Akka\.Remote"),
    ("DotNetty (remote transport)", r"DotNetty"),
    ("Akka.Cluster (membership gossip)", r"Akka\.Cluster"),
    ("Akka.Streams (outside the journal)", r"Akka\.Streams"),
    ("socket system calls", r"sock_|tcp_|__sys_sendto|__sys_recvfrom|sendmsg|recvmsg"),
    ("thread pool spinning (sched_yield)", r"sched_yield"),
    ("futex (thread wake-ups and waits)", r"futex"),
    ("epoll", r"epoll"),
    ("Akka dispatcher and mailboxes", r"Akka\.Dispatch|Akka\.Actor"),
    ("runtime (GC, allocation, type checks; no symbols)", r"libcoreclr"),
    ("thread pool", r"ThreadPool|LowLevelLifoSemaphore"),
]


def samples(lines):
    frames = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if frames:
                yield frames
            frames = []
        elif line[0] in " \t":
            frames.append(line.strip())
        elif frames:
            yield frames
            frames = []
    if frames:
        yield frames


def main():
    compiled = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]
    counts = collections.Counter()
    total = 0
    for stack in samples(sys.stdin):
        total += 1
        for name, pattern in compiled:
            if any(pattern.search(frame) for frame in stack):
                counts[name] += 1
                break
        else:
            counts["other (kernel, libc)"] += 1
    if total == 0:
        print("no samples")
        return
    print(f"| component | share of samples ({total}) |")
    print("|---|--:|")
    for name, n in counts.most_common():
        print(f"| {name} | {100 * n / total:.1f}% |")


if __name__ == "__main__":
    main()
