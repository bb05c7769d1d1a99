#!/usr/bin/env python3
"""Turns one bench/run.sh run into the results table and bench/results/latest.json.

usage: report.py WORK_DIR OUT_JSON

WORK_DIR holds what run.sh measured, one JSON document per file:
  bounds.json      bounds_bench           copy_ves.json / copy_legacy.json   copy_bench
  t1.json … t6.json  ves_loadgen           b1, b2, b2m, b4, b6, b6m .json      pgbench figures
  machine.json     facts run.sh gathered (mode, git commit, PostgreSQL version, load averages)
"""

import json
import os
import platform
import sys


def load(work, name):
    path = os.path.join(work, name + ".json")
    try:
        with open(path) as f:
            text = f.read().strip().splitlines()
        return json.loads(text[-1]) if text else None
    except (OSError, ValueError):
        return None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_gb():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return None


def rnd(x, digits=1):
    return None if x is None else round(x, digits)


def fmt_num(x, unit):
    if x is None:
        return "—"
    if unit == "events/s":
        return f"{x:,.0f}"
    return f"{x:,.1f}"


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    work, out_path = sys.argv[1], sys.argv[2]
    machine = load(work, "machine") or {}
    machine.update({
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": mem_gb(),
        "kernel": platform.release(),
        "load_avg_end": loadavg(),
    })

    bounds = load(work, "bounds") or {}
    copy_ves = load(work, "copy_ves") or {}
    copy_legacy = load(work, "copy_legacy") or {}
    verify = bounds.get("verify_per_core")
    sign = bounds.get("sign_per_core")
    copy_rows = copy_ves.get("events_per_s")
    combined = None
    if verify and sign and copy_rows:
        combined = 1.0 / (1.0 / (2 * verify) + 1.0 / (2 * sign) + 1.0 / copy_rows)
    legacy_bound = copy_legacy.get("events_per_s")
    machine["bounds"] = {
        "verify_per_core": verify,
        "sign_per_core": sign,
        "sign_from_seed_per_core": bounds.get("sign_from_seed_per_core"),
        "verify_prepared_per_core": bounds.get("verify_prepared_per_core"),
        "verify_200_agents_in_turn_per_core": bounds.get("verify_200_agents_in_turn_per_core"),
        "copy_ves_events_per_s": copy_rows,
        "copy_ves_rows_per_s": copy_ves.get("rows_per_s"),
        "copy_legacy_events_per_s": legacy_bound,
        "copy_legacy_rows_per_s": copy_legacy.get("rows_per_s"),
        "combined_signed_bound_events_per_s": rnd(combined, 0),
    }

    def eps(name):
        d = load(work, name)
        return (d or {}).get("events_per_s")

    def loadgen(name):
        return load(work, name) or {}

    def verified(d):
        v = d.get("verify", {})
        return (bool(d) and v.get("done") and v.get("ok")
                and d.get("accepted") == d.get("events_sent"))

    def check_note(d):
        if not d:
            return "NOT MEASURED (see the run log)"
        if not verified(d):
            probs = "; ".join(d.get("verify", {}).get("problems", [])[:2])
            return (f"VERIFY FAILED: accepted {d.get('accepted')} of {d.get('events_sent')}, "
                    f"statuses {d.get('statuses')} {probs} {d.get('error_sample', '')}").strip()
        v = d["verify"]
        return (f"verified: {v['streams']} stream(s) gap-free, {v['events_pulled']} events pulled, "
                f"{v['receipts_checked']} receipts checked")

    # The server's threads by name (server_threads_s), as the note names them. CAF 0.17 calls
    # its scheduler's workers "caf.multiplexer"; the others are named by the server.
    thread_roles = {
        "caf.multiplexer": "CAF workers", "ves-http-loop": "HTTP loops",
        "ves-http-pool": "HTTP pool", "ves-verify": "verify pool",
        "ves-storage": "storage writers", "ves-projection": "projection I/O",
        "ves-commit-io": "commit I/O", "ves-x402-io": "x402 I/O",
        "ves-wal-ckpt": "WAL checkpointer", "caf.clock": "CAF clock",
        "ves-anchor-io": "anchor I/O", "ves-chain": "chain worker",
    }

    def server_threads(c, n):
        """' (CAF workers 50, HTTP loops 44, …)': µs per event of each thread role with at
        least 1 µs, largest first."""
        by = sorted(((secs * 1e6 / n, thread_roles.get(name, name))
                     for name, secs in (c.get("server_threads_s") or {}).items()), reverse=True)
        parts = [f"{role} {us:.0f}" for us, role in by if us >= 1]
        return f" ({', '.join(parts)})" if parts else ""

    def cpu_note(d, target):
        """Where the CPU went while the load ran, per accepted event, and what the target
        leaves per event on this machine's cores."""
        c = (d or {}).get("cpu")
        n = (d or {}).get("accepted") or 0
        if not c or n <= 0:
            return ""
        per = {k: c.get(k, 0) * 1e6 / n for k in ("server_s", "postgres_s", "loadgen_s")}
        busy = c.get("machine_busy_s", 0)
        idle = c.get("machine_idle_s", 0)
        other = max(0.0, busy * 1e6 / n - sum(per.values()))
        text = (f"CPU per event: server {per['server_s']:.0f} µs{server_threads(c, n)}, "
                f"PostgreSQL {per['postgres_s']:.0f} µs, load generator "
                f"{per['loadgen_s']:.0f} µs, other {other:.0f} µs, cores idle {100 * idle / (busy + idle) if busy + idle else 0:.0f} %")
        cores = c.get("cores") or machine.get("cores")
        if target and cores:
            text += f"; the target leaves {cores * 1e6 / target:.0f} µs per event on {cores} cores"
        return text + "; "

    scenarios = []

    def add(sid, title, value, unit, baseline, target, met, target_text, note):
        ratio = None
        if value is not None and baseline:
            ratio = value / baseline
        scenarios.append({
            "id": sid, "value": rnd(value, 1), "unit": unit, "baseline": rnd(baseline, 1),
            "ratio": rnd(ratio, 2), "target": rnd(target, 1), "met": bool(met),
            "title": title, "target_text": target_text, "note": note,
        })

    # T1: hot stream, single signed events, 32 connections, PostgreSQL.
    t1 = loadgen("t1")
    b1 = eps("b1")
    v1 = t1.get("events_per_s") if t1 else None
    tgt1 = 10 * b1 if b1 else None
    add("T1", "hot stream, single signed events, 32 conns, PostgreSQL", v1, "events/s", b1, tgt1,
        v1 is not None and tgt1 is not None and v1 >= tgt1 and verified(t1),
        f"≥ 10× baseline = {tgt1:,.0f} events/s" if tgt1 else "≥ 10× baseline",
        f"p50/p99 {t1.get('latency_us', {}).get('p50', 0) / 1000:.1f}/"
        f"{t1.get('latency_us', {}).get('p99', 0) / 1000:.1f} ms; " + cpu_note(t1, tgt1)
        + check_note(t1))

    # T2: 64 streams, 100-event signed batches, 8 connections, PostgreSQL.
    t2 = loadgen("t2")
    v2 = t2.get("events_per_s") if t2 else None
    tgt2 = 0.7 * combined if combined else None
    b2m = eps("b2m")
    add("T2", "64 streams, 100-event signed batches, 8 conns, PostgreSQL", v2, "events/s",
        eps("b2"), tgt2, v2 is not None and tgt2 is not None and v2 >= tgt2 and verified(t2),
        f"≥ 70 % of combined bound = {tgt2:,.0f} events/s" if tgt2 else "≥ 70 % of bound",
        (f"combined bound {combined:,.0f} ev/s; " if combined else "")
        + (f"lock baseline with multi-row inserts {b2m:,.0f} ev/s; " if b2m else "")
        + cpu_note(t2, tgt2) + check_note(t2))

    # T3: T1 on SQLite.
    t3 = loadgen("t3")
    v3 = t3.get("events_per_s") if t3 else None
    add("T3", "T1 on embedded SQLite", v3, "events/s", b1, 8000.0,
        v3 is not None and v3 >= 8000 and verified(t3), "≥ 8,000 events/s",
        (f"T1 on PostgreSQL {v1:,.0f} ev/s; " if v1 else "") + "baseline = PostgreSQL lock "
        "baseline of T1; " + cpu_note(t3, 8000.0) + check_note(t3))

    # T4: open loop 1000 events/s, PostgreSQL.
    t4 = loadgen("t4")
    b4 = load(work, "b4") or {}
    lat = t4.get("latency_us", {}) if t4 else {}
    p50 = lat.get("p50", 0) / 1000 if t4 else None
    p99 = lat.get("p99", 0) / 1000 if t4 else None
    add("T4", "open loop 1,000 single events/s, PostgreSQL", p99, "ms (p99)",
        b4.get("p99_ms"), 10.0,
        p99 is not None and p99 <= 10 and p50 <= 2 and verified(t4),
        "p99 ≤ 10 ms and p50 ≤ 2 ms",
        (f"p50 {p50:.2f} ms, p99.9 {lat.get('p999', 0) / 1000:.1f} ms, achieved "
         f"{t4.get('events_per_s', 0):,.0f} ev/s; " if t4 else "")
        + (f"baseline p50 {b4.get('p50_ms', 0):.2f} ms at {b4.get('tps', 0):,.0f} tx/s; "
           if b4 else "") + cpu_note(t4, None) + check_note(t4))

    # T5: 10,000 streams touched once, then idle.
    t5 = loadgen("t5")
    rss = t5.get("rss_kb", {}) if t5 else {}
    idle = t5.get("idle", {}) if t5 else {}
    live_mb = rss.get("live", 0) / 1024 if rss else None
    before_mb = rss.get("before", 0) / 1024 if rss else None
    after_mb = rss.get("after_idle", 0) / 1024 if rss else None
    returned = bool(rss) and idle.get("reached") and \
        after_mb <= before_mb + 0.5 * max(0.0, live_mb - before_mb)
    add("T5", "10,000 streams touched once, then idle", live_mb, "MB (RSS)", None, 150.0,
        live_mb is not None and live_mb <= 150 and returned and verified(t5),
        "≤ 150 MB live, returned after idle stop",
        (f"RSS before {before_mb:.0f} MB, live {live_mb:.0f} MB, after idle stop "
         f"{after_mb:.0f} MB ({'returned' if returned else 'NOT returned'}); streams active "
         f"{idle.get('streams_active_live')} → {idle.get('streams_active_after')} after "
         f"{idle.get('waited_s', 0):.0f} s; touch rate {t5.get('events_per_s', 0):,.0f} "
         f"streams/s; " if rss else "") + check_note(t5))

    # T6: legacy unsigned ingest, 64 streams, 100-event batches.
    t6 = loadgen("t6")
    v6 = t6.get("events_per_s") if t6 else None
    tgt6 = 0.6 * legacy_bound if legacy_bound else None
    b6m = eps("b6m")
    add("T6", "legacy unsigned, 64 streams, 100-event batches, 8 conns", v6, "events/s",
        eps("b6"), tgt6, v6 is not None and tgt6 is not None and v6 >= tgt6 and verified(t6),
        f"≥ 60 % of legacy COPY bound = {tgt6:,.0f} events/s" if tgt6 else "≥ 60 % of bound",
        (f"legacy COPY bound {legacy_bound:,.0f} ev/s; " if legacy_bound else "")
        + (f"lock baseline with multi-row inserts {b6m:,.0f} ev/s; " if b6m else "")
        + cpu_note(t6, tgt6) + check_note(t6))

    doc = {"machine": machine, "scenarios": scenarios}
    raw = {n: load(work, n) for n in ("bounds", "copy_ves", "copy_legacy", "b1", "b2", "b2m",
                                      "b4", "b6", "b6m", "t1", "t2", "t3", "t4", "t5", "t6")}
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    raw_path = os.path.join(os.path.dirname(os.path.abspath(out_path)), "latest-raw.json")
    with open(raw_path, "w") as f:
        json.dump(raw, f, indent=1, ensure_ascii=False)
        f.write("\n")

    # The table.
    head = ["scenario", "this project", "baseline", "ratio", "target", "met"]
    rows = []
    for s in scenarios:
        rows.append([
            f"{s['id']} {s['title']}",
            f"{fmt_num(s['value'], s['unit'])} {s['unit']}" if s["value"] is not None else "—",
            fmt_num(s["baseline"], s["unit"]),
            f"{s['ratio']:.2f}×" if s["ratio"] is not None else "—",
            s["target_text"],
            "yes" if s["met"] else "no",
        ])
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    line = "| " + " | ".join(h.ljust(widths[i]) for i, h in enumerate(head)) + " |"
    print(line)
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for r in rows:
        print("| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)) + " |")
    print()
    b = machine["bounds"]
    print(f"bounds: Ed25519 verify {b['verify_per_core'] or 0:,.0f}/s/core, sign "
          f"{b['sign_per_core'] or 0:,.0f}/s/core "
          f"(from seed {b['sign_from_seed_per_core'] or 0:,.0f}); the server's verifier for a "
          f"prepared key {b['verify_prepared_per_core'] or 0:,.0f}/s/core (not in the bound); "
          f"binary COPY from 2 clients: VES {b['copy_ves_events_per_s'] or 0:,.0f} events/s "
          f"({b['copy_ves_rows_per_s'] or 0:,.0f} rows/s), legacy "
          f"{b['copy_legacy_events_per_s'] or 0:,.0f} events/s; combined signed bound "
          f"{b['combined_signed_bound_events_per_s'] or 0:,.0f} events/s")
    for s in scenarios:
        print(f"{s['id']}: {s['note']}")
    la0 = machine.get("load_avg_start")
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB; "
          f"other load: {machine.get('cpu_busy_pct_before')} % of all cores busy before the run, "
          f"{machine.get('cpu_busy_pct_after')} % after; load average at start {la0}, at end "
          f"{machine['load_avg_end']}; mode {machine.get('mode')}; written to {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
