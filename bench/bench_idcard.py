"""ID card reader benchmark: frame parsing, and a full read at real serial timing.

    .venv/bin/python bench/bench_idcard.py [--reads N] [--frames N]

1. Parsing one 1295-byte read reply arriving in 64-byte chunks (what a USB-serial bridge
   delivers): hardware.idcard.protocol.FrameParser + parse_reply, against a naive baseline in
   the same run — the byte-at-a-time receive loop with a per-byte XOR that public vendor
   samples use.
2. A full read (find → select → read → appended address) by the real serial driver through
   the pty simulator pacing its replies at 115200 baud (10 bits per byte), against the wire
   bound: the reply bytes alone take (15 + 19 + 1295 + 11) × 10 / 115200 s = 0.116 s
   (the 1295-byte read reply 0.112 s). Also unpaced, to show the software's own share.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from hardware.idcard import open_idcard_reader
from hardware.idcard import protocol as codec
from hardware.idcard.samples import SAMPLES
from hardware.idcard.simulator import IdCardSimulator, PtySimulator
from hardware.idcard.textblock import encode_text_block

BAUD = 115200
REPLY_BYTES = {"find": 15, "select": 19, "read": 1295, "appended address": 11}


def naive_parse(stream: bytes) -> list[bytes]:
    """The baseline: accumulate byte by byte, restart on a bad preamble byte, check the
    length after each byte, XOR the checksum one byte at a time."""
    frames, buf = [], bytearray()
    for byte in stream:
        buf.append(byte)
        if len(buf) <= 5 and buf[-1] != codec.PREAMBLE[len(buf) - 1]:
            buf.clear()
            continue
        if len(buf) >= 7 and len(buf) == 7 + int.from_bytes(buf[5:7], "big"):
            chk = 0
            for b in buf[5:]:
                chk ^= b
            if chk == 0:
                frames.append(bytes(buf))
            buf.clear()
    return frames


def ours(chunks: list[bytes]) -> list[codec.Reply]:
    parser = codec.FrameParser()
    replies = []
    for chunk in chunks:
        replies += [codec.parse_reply(f) for f in parser.feed(chunk)]
    return replies


def bench_parse(frames: int) -> list[tuple[str, float]]:
    text = encode_text_block(SAMPLES["resident"])
    frame = codec.build_reply(0x90, codec.build_read_data(text, os.urandom(1024)))
    chunks = [frame[i : i + 64] for i in range(0, len(frame), 64)]
    if len(ours(chunks)) != 1 or naive_parse(frame) != [frame]:
        raise SystemExit("a parser lost the frame")
    results = []
    for name, fn in (
        ("FrameParser + parse_reply", lambda: ours(chunks)),
        ("naive byte loop (baseline)", lambda: naive_parse(frame)),
    ):
        best = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(frames):
                fn()
            best.append((time.perf_counter() - start) / frames * 1e6)
        results.append((name, min(best)))
    return results


def bench_reads(reads: int, pace: bool) -> list[float]:
    sim = IdCardSimulator(SAMPLES["resident"])
    times = []
    with (
        PtySimulator(sim, pace=pace) as server,
        open_idcard_reader(f"serial:{server.path}") as reader,
    ):
        for _ in range(reads):
            sim.place_card()
            start = time.perf_counter()
            card = reader.read_card(5)
            times.append(time.perf_counter() - start)
            if not card.id_number_valid:
                raise SystemExit("the simulator's sample card failed its check digit")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=20)
    parser.add_argument("--frames", type=int, default=500)
    args = parser.parse_args()

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    print("1. parsing one 1295-byte read reply (64-byte chunks)")
    print(f"   {'method':<30}{'µs/frame':>10}")
    parse = bench_parse(args.frames)
    for name, micros in parse:
        print(f"   {name:<30}{micros:>10.1f}")
    print(f"   speed-up vs baseline: {parse[1][1] / parse[0][1]:.1f}x\n")

    wire = sum(REPLY_BYTES.values()) * 10 / BAUD
    read_only = REPLY_BYTES["read"] * 10 / BAUD
    print(f"2. full read through the pty simulator, {args.reads} reads each")
    print(f"   {'run':<28}{'p50 s':>8}{'max s':>8}{'wire bound s':>14}{'overhead s':>12}")
    for label, pace in (("paced at 115200 baud", True), ("unpaced (software only)", False)):
        times = bench_reads(args.reads, pace)
        p50 = statistics.median(times)
        bound = wire if pace else 0.0
        print(f"   {label:<28}{p50:>8.3f}{max(times):>8.3f}{bound:>14.3f}{p50 - bound:>12.3f}")
    print(
        f"\n   wire bound = reply bytes {sum(REPLY_BYTES.values())} x 10 bits / {BAUD} baud; "
        f"the read reply alone {read_only:.3f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
