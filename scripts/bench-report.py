#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# bench-report.py [--peer] [--results RESULTS.rst] DIR
#
# Turns the output of tm_bench (one DIR/<krel>/tm_bench.out per kernel, as
# collected by scripts/bench.sh) into, in DIR:
#   metrics.txt        one line per metric and kernel:
#                      METRIC <name>=<value> unit=.. target=.. met=yes|no|n/a
#                      kernel=<krel> [note=..]
#   series.tsv         kernel, series, x, xunit, y, yunit: the size -> time
#                      series
#   summary.txt        the headline metrics, one row each, a column per kernel
#   RESULTS.rst        the project's results page: which kernels, how
#                      measured, the headline table and how to read it
#                      (scripts/bench.sh copies it to the top of the tree)
#   <krel>/report.txt  tm_bench's human tables
#   <krel>/bench.svg   the plots (plain SVG, no dependency)
# With --peer (scripts/bench.sh --peer: tm_bench's P6, lib/test_hmm against
# test_mirror), the same files from P6's lines: summary.txt is the peer
# table and the targets, <krel>/bench.svg its plots, and RESULTS.rst is
# the page given with --results (the one at the top of the tree) with its
# peer part replaced. Without --peer, RESULTS.rst is written anew and the
# peer part of the --results page is kept. The peer part lies between
# PEER_BEGIN and PEER_END (rst comments).
# Python 3 standard library only.

import math
import os
import re
import sys
import time

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
          "#e377c2", "#7f7f7f", "#17becf", "#bcbd22"]


def parse(path):
    metrics, series, tables, info = [], [], [], {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            # --smoke prints its machine lines as KTAP diagnostics
            if re.match(r"^# (METRIC|SERIES|BENCH) ", line):
                line = line[2:]
            if line.startswith("METRIC "):
                rest = line[7:]
                note = ""
                if " note=" in rest:
                    rest, note = rest.split(" note=", 1)
                toks = rest.split()
                name, value = toks[0].split("=", 1)
                kv = dict(t.split("=", 1) for t in toks[1:] if "=" in t)
                metrics.append(dict(name=name, value=float(value),
                                    unit=kv.get("unit", ""),
                                    target=kv.get("target", "none"),
                                    met=kv.get("met", "n/a"), note=note))
            elif line.startswith("SERIES "):
                kv = dict(t.split("=", 1) for t in line[7:].split() if "=" in t)
                series.append(dict(name=kv["name"], x=float(kv["x"]),
                                   xunit=kv.get("xunit", ""), y=float(kv["y"]),
                                   yunit=kv.get("yunit", "")))
            elif line.startswith("BENCH "):
                info = dict(t.split("=", 1) for t in line[6:].split() if "=" in t)
            elif line.startswith("#") or re.match(r"^(not )?ok \d+", line):
                tables.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    return metrics, series, tables, info


# --------------------------------------------------------------------------
# SVG

def esc(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def fmt_tick(v):
    if v >= 1 and abs(v - round(v)) < 1e-9:
        return "%d" % round(v)
    return "%g" % v


class Chart:
    """A log/linear line chart (or grouped bars) drawn into an SVG group."""

    def __init__(self, x, y, w, h, title, xlabel, ylabel, xlog=True,
                 ylog=True, xbase=10):
        self.x, self.y, self.w, self.h = x, y, w, h
        self.title, self.xlabel, self.ylabel = title, xlabel, ylabel
        self.xlog, self.ylog, self.xbase = xlog, ylog, xbase
        self.lines = []
        self.bars = None

    def add(self, label, pts, dash=False):
        pts = sorted((a, b) for a, b in pts if b == b)
        if pts:
            self.lines.append((label, pts, dash))

    def set_bars(self, groups, labels, values):
        self.bars = (groups, labels, values)

    def _range(self, vals, log, base):
        vals = [v for v in vals if (v > 0 or not log)]
        if not vals:
            return (1, 10) if log else (0, 1)
        lo, hi = min(vals), max(vals)
        if log:
            lo = base ** math.floor(math.log(lo, base) + 1e-9)
            hi = base ** math.ceil(math.log(hi, base) - 1e-9)
            if hi <= lo:
                hi = lo * base
        else:
            lo = min(0.0, lo)
            hi = hi * 1.1 if hi > 0 else 1
        return lo, hi

    def _map(self, v, lo, hi, log, a, b):
        if log:
            v = max(v, lo)
            t = (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))
        else:
            t = (v - lo) / (hi - lo) if hi > lo else 0
        return a + t * (b - a)

    def svg(self):
        out = []
        L, T, R, B = self.x + 62, self.y + 28, self.x + self.w - 10, self.y + self.h - 42
        out.append('<text x="%d" y="%d" font-size="13" font-weight="bold">%s</text>'
                   % (self.x + 6, self.y + 16, esc(self.title)))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>'
                   % (L, T, R - L, B - T))
        if self.bars:
            return out + self._bars(L, T, R, B)
        xs = [p[0] for _, pts, _ in self.lines for p in pts]
        ys = [p[1] for _, pts, _ in self.lines for p in pts]
        xlo, xhi = self._range(xs, self.xlog, self.xbase)
        ylo, yhi = self._range(ys, self.ylog, 10)
        # ticks
        if self.xlog:
            k = xlo
            while k <= xhi * 1.0001:
                px = self._map(k, xlo, xhi, True, L, R)
                out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/>' % (px, T, px, B))
                out.append('<text x="%.1f" y="%d" font-size="10" text-anchor="middle">%s</text>'
                           % (px, B + 13, fmt_tick(k)))
                k *= self.xbase
        else:
            for i in range(6):
                v = xlo + (xhi - xlo) * i / 5
                px = self._map(v, xlo, xhi, False, L, R)
                out.append('<text x="%.1f" y="%d" font-size="10" text-anchor="middle">%s</text>'
                           % (px, B + 13, fmt_tick(round(v, 3))))
        if self.ylog:
            k = ylo
            while k <= yhi * 1.0001:
                py = self._map(k, ylo, yhi, True, B, T)
                out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>' % (L, py, R, py))
                out.append('<text x="%d" y="%.1f" font-size="10" text-anchor="end">%s</text>'
                           % (L - 4, py + 3, fmt_tick(k)))
                k *= 10
        else:
            for i in range(6):
                v = ylo + (yhi - ylo) * i / 5
                py = self._map(v, ylo, yhi, False, B, T)
                out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>' % (L, py, R, py))
                out.append('<text x="%d" y="%.1f" font-size="10" text-anchor="end">%s</text>'
                           % (L - 4, py + 3, "%.3g" % v))
        out.append('<text x="%d" y="%d" font-size="11" text-anchor="middle">%s</text>'
                   % ((L + R) // 2, B + 28, esc(self.xlabel)))
        out.append('<text x="%d" y="%d" font-size="11" text-anchor="middle" '
                   'transform="rotate(-90 %d %d)">%s</text>'
                   % (self.x + 14, (T + B) // 2, self.x + 14, (T + B) // 2, esc(self.ylabel)))
        for i, (label, pts, dash) in enumerate(self.lines):
            c = COLORS[i % len(COLORS)]
            d = " ".join("%.1f,%.1f" % (self._map(a, xlo, xhi, self.xlog, L, R),
                                        self._map(b, ylo, yhi, self.ylog, B, T))
                         for a, b in pts)
            out.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="1.8"%s/>'
                       % (d, c, ' stroke-dasharray="5,3"' if dash else ""))
            for a, b in pts:
                out.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>'
                           % (self._map(a, xlo, xhi, self.xlog, L, R),
                              self._map(b, ylo, yhi, self.ylog, B, T), c))
            out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>'
                       % (L + 6, T + 10 + 12 * i, L + 22, T + 10 + 12 * i, c,
                          ' stroke-dasharray="5,3"' if dash else ""))
            out.append('<text x="%d" y="%d" font-size="10">%s</text>'
                       % (L + 26, T + 13 + 12 * i, esc(label)))
        return out

    def _bars(self, L, T, R, B):
        groups, labels, values = self.bars
        out = []
        vmax = max([v for row in values for v in row] + [1e-9]) * 1.1
        gw = (R - L) / max(1, len(groups))
        bw = gw * 0.8 / max(1, len(labels))
        for g, name in enumerate(groups):
            for j in range(len(labels)):
                v = values[g][j]
                hgt = (B - T) * v / vmax
                x = L + g * gw + gw * 0.1 + j * bw
                out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>'
                           % (x, B - hgt, bw - 1, hgt, COLORS[j % len(COLORS)]))
            out.append('<text x="%.1f" y="%d" font-size="10" text-anchor="middle">%s</text>'
                       % (L + g * gw + gw / 2, B + 13, esc(name)))
        for i in range(6):
            v = vmax * i / 5
            py = B - (B - T) * i / 5
            out.append('<text x="%d" y="%.1f" font-size="10" text-anchor="end">%.3g</text>'
                       % (L - 4, py + 3, v))
        for j, lab in enumerate(labels):
            out.append('<rect x="%d" y="%d" width="12" height="8" fill="%s"/>'
                       % (L + 6, T + 6 + 12 * j, COLORS[j % len(COLORS)]))
            out.append('<text x="%d" y="%d" font-size="10">%s</text>'
                       % (L + 22, T + 13 + 12 * j, esc(lab)))
        out.append('<text x="%d" y="%d" font-size="11" text-anchor="middle" '
                   'transform="rotate(-90 %d %d)">%s</text>'
                   % (self.x + 14, (T + B) // 2, self.x + 14, (T + B) // 2, esc(self.ylabel)))
        return out


def plot(krel, series, metrics, path, clock):
    by = {}
    for s in series:
        by.setdefault(s["name"], []).append((s["x"], s["y"]))
    W, H, cols = 560, 330, 2
    charts = []

    def pos(i):
        return (i % cols) * W, 30 + (i // cols) * H

    c = Chart(*pos(0), W, H, "P1 populate, base pages: time vs buffer size",
              "buffer (MiB)", "ms (median)", xbase=4)
    for k in ["prefault", "blind_prefault", "cold_read", "warm_read", "cpu_fault", "cpu_copy"]:
        c.add(k, by.get("p1.base.%s.ms" % k, []), dash=k.startswith("cpu") or k.startswith("blind"))
    charts.append(c)
    c = Chart(*pos(1), W, H, "P1 populate, THP: time vs buffer size",
              "buffer (MiB)", "ms (median)", xbase=4)
    for k in ["prefault", "blind_prefault", "cold_read", "warm_read", "cpu_fault", "cpu_copy"]:
        c.add(k, by.get("p1.thp.%s.ms" % k, []), dash=k.startswith("cpu") or k.startswith("blind"))
    charts.append(c)
    c = Chart(*pos(2), W, H, "P1 fault_chunk_pages: time vs chunk (cold read: 1/4 buffer)",
              "pages per hmm_range_fault()", "ms (median)", xbase=4)
    for k in ["base.prefault", "thp.prefault", "base.cold_read", "thp.cold_read"]:
        c.add(k, by.get("p1chunk.%s.ms" % k, []), dash="cold" in k)
    charts.append(c)
    c = Chart(*pos(3), W, H, "P2 munmap / MADV_DONTNEED / mprotect: time vs size",
              "range (MiB)", "ms (median)", xbase=4)
    for op in ["munmap", "dontneed", "mprotect_ro", "munmap_thp"]:
        c.add(op + " unbound", by.get("p2.%s.unbound.ms" % op, []), dash=True)
        c.add(op + " mirrored", by.get("p2.%s.mirrored.ms" % op, []))
    charts.append(c)
    c = Chart(*pos(4), W, H, "P2 mirrored / unbound time ratio (target munmap 1 GiB <= 1.25)",
              "range (MiB)", "ratio", xbase=4, ylog=False)
    for op in ["munmap", "dontneed", "mprotect_ro", "munmap_thp"]:
        c.add(op, by.get("p2.%s.ratio" % op, []))
    xs = [x for x, _ in by.get("p2.munmap.ratio", [])]
    if xs:
        c.add("1.25 target", [(min(xs), 1.25), (max(xs), 1.25)], dash=True)
    charts.append(c)
    c = Chart(*pos(5), W, H, "P5 sparse: 8 pages mirrored, time vs bound range",
              "bound range (GiB)", "ms (median)", xbase=4)
    for k in ["bind", "unbind", "munmap_bound", "munmap_settle", "munmap_unbound",
              "munmap_added"]:
        c.add(k, by.get("p5.%s.ms" % k, []), dash=k == "munmap_unbound")
    charts.append(c)
    # P4 bars
    groups, vals = [], []
    for w in ["stream", "gather"]:
        for e in ["fork", "clear_refs", "mprotect"]:
            a = by.get("p4.%s.%s.aware.ms" % (w, e))
            b = by.get("p4.%s.%s.blind.ms" % (w, e))
            if a and b:
                groups.append("%s %s" % (w, e))
                vals.append([a[0][1], b[0][1]])
    c = Chart(*pos(6), 2 * W, H, "P4 device time per write-protect event: aware vs blind",
              "", "ms (median)")
    c.set_bars(groups, ["aware", "blind"], vals)
    charts.append(c)
    # P3
    c = Chart(*pos(8), W, H, "P3 table bytes per page (base) / per huge entry (THP)",
              "buffer (MiB)", "bytes", xbase=4, ylog=False)
    for k in ["base.table_bytes_per_unit", "base.slab_bytes_per_unit",
              "thp.table_bytes_per_unit", "thp.slab_bytes_per_unit"]:
        c.add(k.replace("_per_unit", ""), by.get("p3.%s" % k, []), dash="slab" in k)
    charts.append(c)

    rows = (len(charts) + 2) // cols + 1
    total_h = 30 + 5 * H
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
             'font-family="sans-serif">' % (cols * W, total_h),
             '<rect width="100%" height="100%" fill="white"/>',
             '<text x="8" y="16" font-size="15" font-weight="bold">test_mirror '
             'benchmarks on %s (compare within this boot)</text>' % esc(krel),
             '<text x="8" y="30" font-size="11">clock: %s</text>' % esc(clock)]
    del rows
    for ch in charts:
        parts += ch.svg()
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


# --------------------------------------------------------------------------
# Summary and documentation

HEADLINE = [
    ("P1.prefault_base_1GiB_pages_per_s", "P1 prefault, base pages, 1 GiB (pages/s)"),
    ("P1.prefault_thp_1GiB_pages_per_s", "P1 prefault, THP, 1 GiB (pages/s)"),
    ("P1.cold_read_base_1GiB_pages_per_s", "P1 cold device read, base, 1 GiB (pages/s)"),
    ("P1.prefault_over_cpu_fault_base_1GiB", "P1 prefault speed / CPU first-touch speed"),
    ("P1.blind_over_aware_prefault_base_1GiB", "P1 blind / aware prefault time"),
    ("P1.huge_coverage_thp_1GiB", "P1 THP pages in huge device entries (%)"),
    ("P1.best_chunk_pages", "P1 best fault_chunk_pages (base prefault)"),
    ("P1.best_chunk_over_chunk_64", "P1 best chunk speed / chunk 64 speed"),
    ("P2.munmap_1GiB_mirrored_over_unmirrored", "P2 munmap 1 GiB mirrored / unmirrored"),
    ("P2.munmap_1GiB_settled_over_unmirrored", "P2 munmap 1 GiB incl. deferred free / unmirrored"),
    ("P2.dontneed_1GiB_mirrored_over_unmirrored", "P2 MADV_DONTNEED 1 GiB mirrored / unmirrored"),
    ("P2.mprotect_ro_1GiB_mirrored_over_unmirrored", "P2 mprotect RO 1 GiB mirrored / unmirrored"),
    ("P2.munmap_thp_1GiB_mirrored_over_unmirrored", "P2 munmap THP 1 GiB mirrored / unmirrored"),
    ("P3.table_bytes_per_4k_page", "P3 table bytes per 4K page (STATS)"),
    ("P3.slab_bytes_per_4k_page", "P3 slab bytes per 4K page (slabinfo)"),
    ("P3.slab4k_delta_over_table_bytes", "P3 kmalloc-4k delta / STATS table_bytes"),
    ("P3.max_bytes_per_huge_entry", "P3 bytes per 2M huge entry (max)"),
    ("P3.sparse_bytes_per_page_1_per_2MiB", "P3 bytes per page, 1 page per 2 MiB"),
]
for w in ["stream", "gather"]:
    for e in ["fork", "clear_refs", "mprotect"]:
        HEADLINE.append(("P4.%s_%s_aware_read_refaults" % (w, e),
                         "P4 %s/%s: aware read refaults" % (w, e)))
        HEADLINE.append(("P4.%s_%s_blind_refaulted_pages_per_event" % (w, e),
                         "P4 %s/%s: blind pages refaulted per event" % (w, e)))
        HEADLINE.append(("P4.%s_%s_blind_over_aware_time" % (w, e),
                         "P4 %s/%s: blind / aware device time" % (w, e)))
        HEADLINE.append(("P4.%s_%s_aware_added_ms_per_event" % (w, e),
                         "P4 %s/%s: aware ms added per event" % (w, e)))
        HEADLINE.append(("P4.%s_%s_blind_added_ms_per_event" % (w, e),
                         "P4 %s/%s: blind ms added per event" % (w, e)))
HEADLINE += [
    ("P5.bind_1TiB_over_1GiB", "P5 bind 1 TiB / 1 GiB"),
    ("P5.unbind_1TiB_over_1GiB", "P5 unbind 1 TiB / 1 GiB"),
    ("P5.munmap_added_1TiB_over_1GiB", "P5 munmap, part added by the binding, 1 TiB / 1 GiB"),
    ("P5.munmap_bound_1TiB_over_1GiB", "P5 munmap (bound) 1 TiB / 1 GiB"),
    ("P5.munmap_settle_1TiB_over_1GiB", "P5 munmap incl. deferred work 1 TiB / 1 GiB"),
    ("P5.munmap_unbound_1TiB_over_1GiB", "P5 munmap (unbound) 1 TiB / 1 GiB"),
    ("P9.fill_faults_per_s_b1", "P9 device faults/s, one page each (FILL)"),
    ("P9.fill_pages_per_s_b16_over_b1", "P9 FILL pages/s, batch 16 / batch 1"),
    ("P9.fill_pages_per_s_b512_over_b1", "P9 FILL pages/s, batch 512 / batch 1"),
    ("P9.copy_pages_per_s_b16_over_b1", "P9 COPY pages/s, batch 16 / batch 1"),
    ("P9.copy_pages_per_s_b512_over_b1", "P9 COPY pages/s, batch 512 / batch 1"),
    ("P9.fault_latency_p50_ms", "P9 1-page FILL with a fault, p50 (ms)"),
    ("P9.fault_latency_p99_ms", "P9 1-page FILL with a fault, p99 (ms)"),
    ("P9.fault_over_nofault_latency_p50", "P9 FILL with a fault / without, p50"),
    ("P9.munmap_page_fault_over_idle_p50", "P9 munmap under a fault STREAM / idle, p50"),
    ("P9.munmap_page_fault_over_prevalidated_p50",
     "P9 munmap under a fault / pre-validated STREAM, p50"),
    ("P9.munmap_page_one_pass_over_two_pass_p50", "P9 munmap, one pass / two passes, 1 file"),
    ("P9.munmap_page_2files_one_pass_over_two_pass_p50",
     "P9 munmap, one pass / two passes, 2 files"),
    ("P9.munmap_page_2files_slow_one_pass_over_two_pass_p50",
     "P9 munmap, one pass / two passes, 2 files, 2 ms acknowledgments"),
]
for e in ["fork", "clear_refs", "mprotect"]:
    HEADLINE.append(("P9.%s_replays_saved_per_event" % e,
                     "P9 %s under a reading STREAM: replays saved (blind - aware)" % e))
    HEADLINE.append(("P9.%s_tlb_flushes_saved_per_event" % e,
                     "P9 %s under a reading STREAM: TLB flushes saved" % e))


def fmtv(v):
    if v == 0:
        return "0"
    if abs(v) >= 1e5:
        return "%.3g" % v
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.3g" % v


def read_kernel(top, k, mf, sf):
    """Parse <top>/<k>/tm_bench.out; append its METRIC lines to mf and its
    series to sf, write <k>/report.txt; return (metrics, series, info, clock)."""
    metrics, series, tables, info = parse(os.path.join(top, k, "tm_bench.out"))
    for m in metrics:
        mf.write("METRIC %s=%.6g unit=%s target=%s met=%s kernel=%s%s\n"
                 % (m["name"], m["value"], m["unit"], m["target"], m["met"], k,
                    " note=" + m["note"] if m.get("note") else ""))
    for x in series:
        sf.write("%s\t%s\t%g\t%s\t%.6g\t%s\n" % (k, x["name"], x["x"], x["xunit"],
                                                 x["y"], x["yunit"]))
    with open(os.path.join(top, k, "report.txt"), "w") as f:
        f.write("\n".join(tables) + "\n")
    clock = "qemu TCG, emulated time"
    cpath = os.path.join(top, k, "clock.txt")
    if os.path.isfile(cpath):
        with open(cpath) as f:
            clock = f.read().strip()
    return metrics, series, info, clock


def main():
    args = sys.argv[1:]
    peer, results = False, None
    while args and args[0].startswith("--"):
        if args[0] == "--peer":
            peer = True
            args = args[1:]
        elif args[0] == "--results" and len(args) > 1:
            results = args[1]
            args = args[2:]
        else:
            print("usage: bench-report.py [--peer] [--results RESULTS.rst] DIR",
                  file=sys.stderr)
            return 2
    top = args[0] if args else ("build/bench-peer" if peer else "build/bench")
    if peer:
        return peer_main(top, results)
    kernels = sorted(d for d in os.listdir(top)
                     if os.path.isfile(os.path.join(top, d, "tm_bench.out")))
    if not kernels:
        print("bench-report: no %s/<krel>/tm_bench.out" % top, file=sys.stderr)
        return 1
    data = {}
    with open(os.path.join(top, "metrics.txt"), "w") as mf, \
            open(os.path.join(top, "series.tsv"), "w") as sf:
        sf.write("kernel\tseries\tx\txunit\ty\tyunit\n")
        for k in kernels:
            metrics, series, info, clock = read_kernel(top, k, mf, sf)
            data[k] = (metrics, series, info)
            info["clock"] = clock
            plot(k, series, metrics, os.path.join(top, k, "bench.svg"), clock)

    # summary
    lines = []
    w0 = max(len(h) for _, h in HEADLINE) + 2
    hdr = "%-*s" % (w0, "metric") + "".join("%-26s" % k[:24] for k in kernels) + "target"
    lines.append(hdr)
    lines.append("-" * len(hdr))
    count = {}
    for name, label in HEADLINE:
        row = "%-*s" % (w0, label)
        target = ""
        seen = False
        for k in kernels:
            m = next((m for m in data[k][0] if m["name"] == name), None)
            if m is None:
                row += "%-26s" % "-"
                continue
            seen = True
            target = m["target"] if m["target"] != "none" else ""
            met = {"yes": "met", "no": "NOT MET"}.get(m["met"], "")
            if met:
                count.setdefault(k, [0, 0])[0 if m["met"] == "yes" else 1] += 1
            row += "%-26s" % ("%s %s" % (fmtv(m["value"]), met))
        if seen:
            lines.append(row + target)
    lines.append("")
    for k in kernels:
        c = count.get(k, [0, 0])
        allm = [m for m in data[k][0] if m["met"] in ("yes", "no")]
        lines.append("%s: %d metrics with a target: %d met, %d not met"
                     % (k, len(allm), sum(m["met"] == "yes" for m in allm),
                        sum(m["met"] == "no" for m in allm)))
        del c
    with open(os.path.join(top, "summary.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    write_doc(top, kernels, data, results)
    return 0


def getm(data, k, name):
    m = next((m for m in data[k][0] if m["name"] == name), None)
    return m


def write_doc(top, kernels, data, results):
    def v(k, name, f="%.3g"):
        m = getm(data, k, name)
        return (f % m["value"]) if m else "n/a"

    def met(k, name):
        m = getm(data, k, name)
        return {"yes": "met", "no": "**not met**"}.get(m["met"], "") if m else ""

    def both(name, f="%.3g"):
        return " / ".join(v(k, name, f) for k in kernels)

    def ratio(a, b):
        cells = []
        for k in kernels:
            ma, mb = getm(data, k, a), getm(data, k, b)
            cells.append("%.3f" % (ma["value"] / mb["value"])
                         if ma and mb and mb["value"] else "n/a")
        return " / ".join(cells)

    out = []
    out.append(".. SPDX-License-Identifier: GPL-2.0")
    out.append("")
    title = "test_mirror: measured results"
    out.append("=" * len(title))
    out.append(title)
    out.append("=" * len(title))
    out.append("")
    out.append("Written by ``make bench`` (``scripts/bench-report.py``); do not edit. "
               "Kernels: %s. Measured on %s." % (
                   ", ".join(kernels), time.strftime("%Y-%m-%d", time.gmtime())))
    out.append("")
    clock = data[kernels[0]][2].get("clock", "qemu TCG")
    out.append(
        "``make bench`` (``scripts/bench.sh``) boots each kernel under qemu and runs "
        "``tm_bench`` in it; the tables, the size-to-time series "
        "(``series.tsv``), one ``METRIC`` line per metric (``metrics.txt``) and "
        "plots (``<krel>/bench.svg``) go to ``build/bench/``. Clock: %s. "
        "Under ``-icount`` the guest clock advances by one nanosecond per "
        "emulated instruction, so results do not depend on the load of the "
        "host and repeat to three digits, but they weigh work in instructions: "
        "a ``rep movsb`` or ``rep stosb`` counts one instruction per byte, "
        "which makes copying or zeroing a page (about 4100 \"ns\") far dearer "
        "relative to page-table work than on hardware. Every number is therefore a "
        "count, or a ratio of medians measured in the same boot, with the "
        "variants compared interleaved." % clock)
    out.append("")
    rows = []
    for name, label in HEADLINE:
        cells = []
        any_ = False
        for k in kernels:
            m = getm(data, k, name)
            if m:
                any_ = True
                cells.append(fmtv(m["value"]) + (" (" + met(k, name) + ")" if met(k, name) else ""))
            else:
                cells.append("n/a")
        if any_:
            tgt = next((getm(data, k, name)["target"] for k in kernels if getm(data, k, name)), "")
            tgt = tgt.replace("_(no_growth_with_range_size)", "").replace("_", " ")
            rows.append([label, tgt if tgt != "none" else ""] + cells)
    hdr = ["Metric", "Target"] + kernels
    widths = [max(len(str(r[i])) for r in rows + [hdr]) for i in range(len(hdr))]
    sep = "  ".join("=" * w for w in widths)
    out.append(sep)
    out.append("  ".join(str(h).ljust(w) for h, w in zip(hdr, widths)))
    out.append(sep)
    for r in rows:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    out.append(sep)
    out.append("")
    out.append(NOTES.format(
        kernels=" / ".join(kernels),
        best=both("P1.best_chunk_pages", "%d"),
        bestx=both("P1.best_chunk_over_chunk_64", "%.2f"),
        c64=both("P1.chunk_64_base_prefault_pages_per_s", "%.3g"),
        c512=both("P1.chunk_512_base_prefault_pages_per_s", "%.3g"),
        c8192=both("P1.chunk_8192_base_prefault_pages_per_s", "%.3g"),
        pfx=both("P1.prefault_over_cpu_fault_base_1GiB", "%.0f"),
        g8192=ratio("P1.chunk_8192_base_prefault_pages_per_s",
                    "P1.chunk_512_base_prefault_pages_per_s"),
        t8192=ratio("P1.chunk_8192_thp_prefault_pages_per_s",
                    "P1.chunk_512_thp_prefault_pages_per_s"),
        chk=both("P3.slab4k_delta_over_table_bytes", "%.2f"),
        mu=both("P2.munmap_1GiB_mirrored_over_unmirrored", "%.3f"),
        mp=both("P2.mprotect_ro_1GiB_mirrored_over_unmirrored", "%.3f"),
        ub=both("P5.unbind_1TiB_over_1GiB", "%.2f"),
        ma=both("P5.munmap_added_1TiB_over_1GiB", "%.2f"),
        mub=both("P5.munmap_unbound_1TiB_over_1GiB", "%.2f"),
        sbl=both("P4.stream_fork_blind_added_ms_per_event", "%.2f"),
        saw=both("P4.stream_fork_aware_added_ms_per_event", "%.3f"),
        gbl=both("P4.gather_fork_blind_added_ms_per_event", "%.2f"),
        gaw=both("P4.gather_fork_aware_added_ms_per_event", "%.3f"),
        sr=both("P4.stream_fork_blind_over_aware_time", "%.2f"),
        gr=both("P4.gather_fork_blind_over_aware_time", "%.2f"),
    ))
    page = "\n".join(out) + "\n"
    old_peer = peer_part(read_page(results))
    if old_peer:
        page += "\n" + old_peer
    with open(os.path.join(top, "RESULTS.rst"), "w") as f:
        f.write(page)


NOTES = """\
Reading the numbers (values given as {kernels}):

* Populate: prefaulting a resident buffer (``hmm_range_fault()`` plus table
  install, no data moved) runs {pfx} times faster than the CPU's own first
  touch of the same pages (which allocates and zeroes them). A cold device
  READ costs about what a warm one does: the copy dominates, faults add a
  few per cent. THP buffers prefault about twice as fast as base pages
  (one table write per 2 MiB). The event-blind policy populates at the same
  speed: policy only matters on invalidation.
* Chunk size: base-page prefault reached {c64} pages/s with lib/test_hmm's
  64-page chunk, {c512} with 512 and {c8192} with 8192; best {best}
  ({bestx}x chunk 64). Above 512 the gain is small (8192 over 512:
  {g8192} for base pages, {t8192} for THP). Below 512 pages THP memory gets
  no huge entries at all.
* Invalidation: munmap of a fully mirrored 1 GiB costs {mu} times the same
  munmap with no binding, including the work item that frees the leaves
  (on the single vCPU of the run it had finished by the time munmap
  returned). mprotect(PROT_READ) costs
  {mp} times: on 6.1 every entry is downgraded in place, on 6.12 they are
  removed.
* Memory: the driver's ``table_bytes`` agrees with the kmalloc-4k object
  delta in ``/proc/slabinfo`` to a ratio of {chk} (the slabinfo count is
  approximate: objects served from a per-CPU slab that was already counted
  as in use do not move it); no vmalloc is used.
* Sparse ranges: from a 1 GiB to a 1 TiB binding with 8 pages mirrored,
  unbind grows {ub} times and what the binding adds to munmap {ma} times
  (the kernel's own munmap of the reservation grows {mub} times).
* Event-aware savings: after fork and clear_refs the aware policy keeps
  read-only entries and refaults nothing; the blind one refaults every page.
  The device time an event adds to a streaming READ of 64 MiB is {saw} ms
  aware against {sbl} ms blind, and {gaw} ms against {gbl} ms for a gather
  (one page in 16, one READ each). As a ratio of the whole device time the
  saving is only {sr} (stream) and {gr} (gather), short of the 5x target:
  this mock device copies every page it reads with ``copy_to_user()``,
  which under emulation costs far more than refaulting the page, so the
  copy, the same in both policies, dominates. On 6.12 mprotect cannot
  downgrade (the kernel no longer passes the VMA to the notifier), so both
  policies refault after it there.
"""

# --------------------------------------------------------------------------
# The peer: lib/test_hmm against test_mirror (tm_bench P6, bench.sh --peer)

PEER_BEGIN = ".. PEER_BEGIN: written by scripts/bench.sh --peer (make bench-peer)"
PEER_END = ".. PEER_END"
PEER_DEVS = ["test_hmm", "compat", "drm"]
PEER_MODES = [("base", "4 KiB pages"), ("thp", "THP (2 MiB)")]
# (metric name without mode and size, what it says, the device it is about)
PEER_TARGETS = [
    ("populate_compat_over_test_hmm", "populate per page, compat / test_hmm"),
    ("populate_drm_over_test_hmm", "populate per page, DRM path / test_hmm"),
    ("touch_populate_compat_over_test_hmm",
     "first-touch populate per page, compat / test_hmm"),
    ("touch_populate_drm_over_test_hmm",
     "first-touch populate per page, DRM path / test_hmm"),
    ("warm_read_compat_over_copy_floor", "warm read, compat / kernel-copy floor"),
    ("warm_read_drm_over_copy_floor", "warm read, DRM path / kernel-copy floor"),
    ("munmap_compat_mirrored_over_plain", "munmap mirrored / plain, compat"),
    ("munmap_drm_mirrored_over_plain", "munmap mirrored / plain, DRM path"),
    ("munmap_test_hmm_mirrored_over_plain", "munmap mirrored / plain, test_hmm"),
    ("snapshot_compat_over_test_hmm", "snapshot per page, compat / test_hmm"),
]


def read_page(path):
    if not path or not os.path.isfile(path):
        return ""
    with open(path, errors="replace") as f:
        return f.read()


def peer_part(page):
    # the peer part of a results page, markers included, or ""
    i = page.find(PEER_BEGIN)
    j = page.find(PEER_END, i + 1) if i >= 0 else -1
    if i < 0 or j < 0:
        return ""
    return page[i:j + len(PEER_END)] + "\n"


def peer_series(series):
    # {(mode, dev, metric): {size_mib: ns_per_page}}
    by = {}
    for x in series:
        parts = x["name"].split(".")
        if len(parts) == 4 and parts[0] == "p6":
            by.setdefault(tuple(parts[1:]), {})[int(x["x"])] = x["y"]
        elif len(parts) == 3 and parts[0] == "p6":
            by.setdefault((parts[1], "", parts[2]), {})[int(x["x"])] = x["y"]
    return by


def peer_targets(metrics):
    # {(target, mode): [(size_mib, value, met)]}
    out = {}
    for m in metrics:
        g = re.match(r"^P6\.(.+)_(base|thp)_(\d+)(MiB|GiB)$", m["name"])
        if not g:
            continue
        mib = int(g.group(3)) * (1024 if g.group(4) == "GiB" else 1)
        out.setdefault((g.group(1), g.group(2)), []).append(
            (mib, m["value"], m["met"], m["target"]))
    for v in out.values():
        v.sort()
    return out


def szs(mib):
    return "%d GiB" % (mib // 1024) if mib >= 1024 and mib % 1024 == 0 else "%d MiB" % mib


def rst_table(hdr, rows):
    widths = [max(len(str(r[i])) for r in rows + [hdr]) for i in range(len(hdr))]
    sep = "  ".join("=" * w for w in widths)
    out = [sep, "  ".join(str(h).ljust(w) for h, w in zip(hdr, widths)).rstrip(), sep]
    for r in rows:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    out.append(sep)
    return out


def peer_rows(by, mode):
    def g(dev, metric, mib):
        v = by.get((mode, dev, metric), {}).get(mib)
        return v

    def f(v, fmt="%.0f"):
        return "-" if v is None or v <= 0 else fmt % v

    sizes = sorted(set(x for k, v in by.items() if k[0] == mode for x in v))
    rows = []
    for mib in sizes:
        plain = g("floor", "munmap_plain", mib)
        row = [szs(mib)]
        row += [f(g(d, "populate", mib)) for d in PEER_DEVS]
        row += [f(g("floor", "walk", mib))]
        row += [f(g(d, "touch_populate", mib)) for d in PEER_DEVS]
        row += [f(g(d, "warm_read", mib)) for d in PEER_DEVS]
        row += [f(g("floor", "copy_floor", mib))]
        row += [f(g("test_hmm", "snapshot", mib)), f(g("compat", "snapshot", mib))]
        row += [f(g(d, "munmap", mib) / plain if g(d, "munmap", mib) and plain else None,
                  "%.2f") for d in PEER_DEVS]
        row += [f(plain)]
        row += [f(g("", "huge_pct", mib)) + "%" if mode == "thp" else "-"]
        rows.append(row)
    return rows


PEER_HDR = ["size", "pop hmm", "pop compat", "pop drm", "walk floor",
            "touch hmm", "touch compat", "touch drm",
            "warm hmm", "warm compat", "warm drm", "copy floor",
            "snap hmm", "snap compat", "munmap hmm", "munmap compat",
            "munmap drm", "plain munmap", "huge"]


def plot_peer(krel, by, path, clock):
    W, H, cols = 560, 330, 2
    charts = []

    def pos(i):
        return (i % cols) * W, 44 + (i // cols) * H

    i = 0
    for mode, label in PEER_MODES:
        c = Chart(*pos(i), W, H, "populate (cold - warm READ), %s" % label,
                  "buffer (MiB)", "ns per 4 KiB page", xbase=4)
        for d in PEER_DEVS:
            c.add(d, by.get((mode, d, "populate"), {}).items())
        c.add("walk floor (SNAPSHOT)", by.get((mode, "floor", "walk"), {}).items(), dash=True)
        for d in PEER_DEVS:
            c.add(d + ", first touch", by.get((mode, d, "touch_populate"), {}).items(),
                  dash=True)
        charts.append(c)
        i += 1
        c = Chart(*pos(i), W, H, "warm READ, %s" % label,
                  "buffer (MiB)", "ns per 4 KiB page", xbase=4)
        for d in PEER_DEVS:
            c.add(d, by.get((mode, d, "warm_read"), {}).items())
        c.add("copy floor (read(2) tmpfs)", by.get((mode, "floor", "copy_floor"), {}).items(),
              dash=True)
        charts.append(c)
        i += 1
    for mode, label in PEER_MODES:
        plain = by.get((mode, "floor", "munmap_plain"), {})
        c = Chart(*pos(i), W, H, "munmap mirrored / plain, %s (target <= 1.25)" % label,
                  "buffer (MiB)", "ratio", xbase=4)
        for d in PEER_DEVS:
            pts = [(x, y / plain[x]) for x, y in by.get((mode, d, "munmap"), {}).items()
                   if plain.get(x)]
            c.add(d, pts)
        if plain:
            c.add("1.25 target", [(min(plain), 1.25), (max(plain), 1.25)], dash=True)
        charts.append(c)
        i += 1
    for mode, label in PEER_MODES:
        c = Chart(*pos(i), W, H, "SNAPSHOT (hmm_range_fault, no fault), %s" % label,
                  "buffer (MiB)", "ns per 4 KiB page", xbase=4)
        for d in ["test_hmm", "compat"]:
            c.add(d, by.get((mode, d, "snapshot"), {}).items())
        charts.append(c)
        i += 1
    total_h = 44 + ((len(charts) + cols - 1) // cols) * H
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
             'font-family="sans-serif">' % (cols * W, total_h),
             '<rect width="100%" height="100%" fill="white"/>',
             '<text x="8" y="16" font-size="15" font-weight="bold">lib/test_hmm against '
             'test_mirror (compat front-end, DRM path) on %s, one boot</text>' % esc(krel),
             '<text x="8" y="30" font-size="11">clock: %s</text>' % esc(clock)]
    for ch in charts:
        parts += ch.svg()
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def target_cell(vals):
    # every size of one target: met everywhere, or the sizes it misses
    if not vals:
        return "n/a", ""
    miss = [(mib, v) for mib, v, met, _ in vals if met == "no"]
    worst = max(vals, key=lambda t: t[1])
    txt = ", ".join("%s %.3g" % (szs(mib), v) for mib, v, _, _ in vals)
    if not miss:
        return txt, "met (all sizes)"
    lim = float(vals[0][3].lstrip("<="))
    return txt, "**not met** at %s (worst %.3g, %.0f%% over)" % (
        ", ".join(szs(m) for m, _ in miss), worst[1], 100 * (worst[1] / lim - 1))


def peer_main(top, results):
    kernels = sorted(d for d in os.listdir(top)
                     if os.path.isfile(os.path.join(top, d, "tm_bench.out")))
    if not kernels:
        print("bench-report: no %s/<krel>/tm_bench.out" % top, file=sys.stderr)
        return 1
    doc, summary = [], []
    with open(os.path.join(top, "metrics.txt"), "w") as mf, \
            open(os.path.join(top, "series.tsv"), "w") as sf:
        sf.write("kernel\tseries\tx\txunit\ty\tyunit\n")
        for k in kernels:
            metrics, series, info, clock = read_kernel(top, k, mf, sf)
            by = peer_series(series)
            tg = peer_targets(metrics)
            plot_peer(k, by, os.path.join(top, k, "bench.svg"), clock)
            summary.append("== %s (%s)" % (k, clock))
            for mode, label in PEER_MODES:
                rows = peer_rows(by, mode)
                if not rows:
                    continue
                summary.append("-- %s: ns per 4 KiB page; munmap: mirrored / plain" % label)
                summary += rst_table(PEER_HDR, rows)
            trows = []
            for name, label in PEER_TARGETS:
                for mode, mlabel in PEER_MODES:
                    vals = tg.get((name, mode))
                    if not vals:
                        continue
                    figs, verdict = target_cell(vals)
                    trows.append([label + ", " + mode, vals[0][3], figs, verdict])
            if trows:
                summary += rst_table(["target", "limit", "per size", "verdict"], trows)
            p7 = p7_rows(metrics)
            if p7:
                summary.append("-- P7: device memory (pages/s) and device atomics (ops/s)")
                summary += rst_table(P7_HDR, p7)
            doc += peer_doc(k, clock, by, trows, p7)
    with open(os.path.join(top, "summary.txt"), "w") as f:
        f.write("\n".join(summary) + "\n")
    print("\n".join(summary))
    # a blank line before the end marker: the notes' bullet list ends there
    part = "\n".join([PEER_BEGIN, ""] + doc + ["", PEER_END]) + "\n"
    page = read_page(results)
    old = peer_part(page)
    if old:
        page = page.replace(old, part)
    elif page:
        page = page.rstrip("\n") + "\n\n" + part
    else:
        page = part
    with open(os.path.join(top, "RESULTS.rst"), "w") as f:
        f.write(page)
    return 0


# tm_bench P7 (p7_devmem.c): METRIC P7.<kind>_<device>, rates, no target;
# the moves in 4 KiB pages/s, of a buffer of 4 KiB pages (4K) and of one
# in 2 MiB THP folios (2M)
P7_KINDS = ["to_device", "to_device_thp", "to_system", "to_system_thp",
            "atomic_retake", "atomic_held"]
P7_HDR = ["device", "to device 4K, pages/s", "to device 2M, pages/s",
          "to system 4K, pages/s", "to system 2M, pages/s",
          "atomic after a CPU touch, ops/s", "atomic, page held, ops/s"]


def p7_rows(metrics):
    v = {m["name"]: m["value"] for m in metrics}
    rows = []
    for dev in ("test_hmm", "compat", "drm"):
        cells = [v.get("P7.%s_%s" % (k, dev)) for k in P7_KINDS]
        if all(c is None for c in cells):
            continue
        rows.append([dev] + ["-" if c is None else "%.0f" % c for c in cells])
    return rows


def peer_doc(krel, clock, by, trows, p7):
    out = []
    title = "The peer: lib/test_hmm against test_mirror, on %s" % krel
    out += [title, "=" * len(title), ""]
    out.append(PEER_HOW.format(krel=krel, clock=clock,
                               date=time.strftime("%Y-%m-%d", time.gmtime())))
    out.append("")
    for mode, label in PEER_MODES:
        rows = peer_rows(by, mode)
        if not rows:
            continue
        out += ["%s: ns per 4 KiB page (munmap: mirrored / plain)" % label, ""]
        out += rst_table(PEER_HDR, rows)
        out.append("")
    if trows:
        out += ["Targets (ratios in this boot, at every size)", ""]
        out += rst_table(["target", "limit", "per size", "verdict"], trows)
        out.append("")
    if p7:
        out += [P7_HOW, ""]
        out += rst_table(P7_HDR, p7)
        out.append("")
    out.append(PEER_NOTES)
    return out


PEER_HOW = """\
Written by ``make bench-peer`` (``scripts/bench.sh --peer``, then
``scripts/bench-report.py --peer``); do not edit. Kernel: {krel} (Debian's
own image), one boot, measured on {date}. Clock: {clock}; every figure is
the median of the repetitions, in emulated nanoseconds (instructions) per
4 KiB page, and only ratios within this boot mean anything. The peer is the
kernel's own ``lib/test_hmm.c`` from Debian's linux-source-7.3, built
unmodified out of tree against the same kernel's headers
(``scripts/build-test-hmm.sh``, never committed). tm_bench's section P6
(``userspace-test/tm_bench/p6_peer.c``) drives three devices in turn, in an
order that rotates with the repetition: test_hmm's ``/dev/hmm_dmirror0``
(``modprobe test_hmm`` for its turn, ``rmmod`` after), test_mirror's
test_hmm-compatible front-end on the same node with the same ioctls
(``hmm_compat=1`` for its turn) and test_mirror's DRM path (BIND, READ).
Each turn maps a fresh buffer the CPU has populated (base pages or THP),
opens the device, and times: a cold device READ of the whole buffer
(16 MiB per call into a resident window), the same READ again (warm: no
fault, the data checked), SNAPSHOT (test_hmm's ABI), and munmap with the
file still open. *pop* (populate) is cold minus warm: what bringing the
pages into the device table costs. *touch* is the same difference on a
buffer the CPU never touched: the device's cold READ is the first touch,
and its faults map the zero page (THP: the huge zero page) into the CPU
page table. The floors, measured in the same rounds:
*walk*, ``hmm_range_fault()`` alone over the range (compat's SNAPSHOT: one
call without faulting per 512 pages, a byte out per page); *copy*, the
kernel copying the same bytes to userspace (``read(2)`` of a tmpfs file of
the same size, 16 MiB per call into the same window; for THP the tmpfs is
mounted ``huge=always``); *plain munmap*, the same munmap with no device
file open. Plots: ``build/bench-peer/<krel>/bench.svg``."""

P7_HOW = """\
Device memory and device atomics (tm_bench's P7,
``userspace-test/tm_bench/p7_devmem.c``), the same three devices in the
same rotation: a 16 MiB buffer the CPU populated moves to the device's
memory in one call and back (test_hmm and compat: MIGRATE_TO_DEV, which
also copies the pages out to the caller, and MIGRATE_TO_SYS; drm: DEVMEM
each way), the counts, the data and that no page stayed on the device
checked; *4K*, a buffer of 4 KiB pages; *2M*, one the CPU populated in
2 MiB THP folios (checked before the move; a device that moves 2 MiB
folios moves each as one, else the kernel splits it first; test_hmm's
MIGRATE_TO_SYS counts a folio moved whole as one), its rate counted in
4 KiB pages too; then 1000
operations on one page: *after a CPU touch*, the CPU adds 1 to a word and
the device takes the page exclusive again (drm: ATOMIC fetch-add, one grant
per operation checked; test_hmm and compat: EXCLUSIVE of the page, their
ABI's nearest operation); *page held*, drm's ATOMIC again and again with no
CPU touch (one grant in all). No target: rates, medians of the
repetitions."""


PEER_NOTES = """\
Reading the numbers:

* Populate: test_hmm faults 32 pages per ``hmm_range_fault()`` call and
  stores every 4 KiB page in its xarray (``xa_store()``, its lock taken
  per page), on THP too; test_mirror faults 512 pages per call and, on
  THP, writes one device entry per 2 MiB. The walk floor is what any
  mirror pays for the CPU page-table walk alone; populate above it is the
  device table's work.
* First touch: ``hmm_range_fault()`` faults a hole one 4 KiB page at a
  time, ``handle_mm_fault()`` for every page it recorded, even after the
  first fault has mapped a huge page over the rest; with 512 pages per
  call that was 512 faults per 2 MiB of untouched THP memory, against
  test_hmm's 32 (its later calls find the block mapped), which made
  test_mirror's first-touch THP populate about twice test_hmm's
  (``make bench-peer-profile``). test_mirror now reads a chunk without
  faulting first and faults the first page of each untouched 2 MiB block
  alone before the faulting walk (``driver/tm_fault.c``, "The fault
  path").
* Warm read: test_hmm copies every page twice (into a vmalloc'ed bounce
  buffer, then ``copy_to_user()`` of the whole request, plus the bounce
  buffer's allocation per call); test_mirror copies once, straight from the
  mirrored pages to the user buffer under its table lock with page faults
  disabled, one lookup and one copy per run of pages (a huge entry: per
  2 MiB). The copy floor is the kernel's own ``read(2)`` of a tmpfs file:
  one copy, plus the page cache's own per-page lookups.
* Munmap: test_hmm erases its xarray one 4 KiB entry at a time in the
  notifier; test_mirror's walk visits only the table slots present (one
  per 2 MiB) and frees its leaves in a work item.
* Under ``-icount`` a ``rep movsb`` costs one instruction per byte: a page
  copy is about 4100 ns here, far dearer against page-table work than on
  hardware, which flattens every ratio that includes a copy."""


if __name__ == "__main__":
    sys.exit(main())
