"""Touch UI benchmark: cold start, peak memory after walking every screen, keystroke latency.

    .venv/bin/python bench/bench_ui.py [--runs 3] [--keystrokes 40]

The parent starts the hall server (demo data) and enrols a kiosk, then runs each measurement
in a fresh process, offscreen (SDL offscreen driver + Mesa llvmpipe, 1080×1920):

- baseline: a bare Kivy app with the same window, font and one Chinese label — the floor
  any Kivy kiosk pays (interpreter, Kivy, SDL, GL context, the software renderer);
- kiosk: the real app (`screens.app.build_app` on a real KioskCore).
  1. cold start → interactive home: from the parent spawning the process to the first frame
     drawn after the home screen's touch handlers are bound (target ≤ 1.5 s);
  2. peak RSS after walking every screen by touch — queue → ticket, guide (browse, item,
     search), form fill from the ID card → submit → rating, progress, elderly mode, English —
     the UI tests' own scenarios (target ≤ 250 MiB);
  3. keystroke → search results drawn: tap a key of the on-screen keyboard, wait for the
     search answer and the next frame flip, and for the renderer to finish painting that
     frame (glFinish) (target ≤ 50 ms), at Kivy's default 60 fps cap.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERIES = ["yyzz", "shebao", "gongjijin", "hunyin", "sfz", "jiazhao", "banshi", "chusheng"]


# --- child processes -------------------------------------------------------------------------
def _rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _raster_ms(window, frames: int) -> float:
    """Median time the software renderer needs to paint the current screen (glFinish after
    a forced redraw), the floor under any frame-to-pixels latency."""
    from kivy.graphics.opengl import glFinish

    times = []
    for _ in range(frames):
        glFinish()
        t0 = time.perf_counter()
        window.dispatch("on_draw")  # the whole window, as every frame does
        window.dispatch("on_flip")
        glFinish()
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times) * 1000, 1)


def _demo_application_number() -> str:
    from common.paths import config_dir

    first = (config_dir() / "demo" / "applications.jsonl").read_text().splitlines()[0]
    return json.loads(first)["number"]


def _report(payload: dict) -> None:
    payload["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write("RESULT " + json.dumps(payload) + "\n")
    sys.stdout.flush()


def child_baseline(spawned: float, home: Path) -> None:
    from screens.boot import UiOptions, prepare

    prepare(home / "kivy-baseline", UiOptions())
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.uix.label import Label

    class Bare(App):
        def build(self):
            return Label(text="取号 办事指南 自助填单 进度查询", font_size=60)

        def on_start(self):
            def flipped(*_a):
                Window.unbind(on_flip=flipped)
                first = time.time() - spawned
                Clock.schedule_once(lambda _dt: measure_raster(first), 0.2)

            def measure_raster(first: float) -> None:
                raster = _raster_ms(Window, 10)
                _report({"first_frame_s": first, "raster_ms": raster})
                self.stop()

            Window.bind(on_flip=flipped)

    Bare().run()


def child_kiosk(spawned: float, home: Path, keystrokes: int, walk: bool) -> None:
    from common.settings import load_settings
    from kiosk.core import KioskCore
    from screens.app import build_app

    core = KioskCore(load_settings(), home)
    if not os.environ.get("BENCH_NO_SYNC"):
        core.start_background()  # as `kiosk run` does
    # a fixed Monday morning for the after-hours schedule, so 取号 is open whenever this runs
    monday = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
    app = build_app(core, kivy_home=home / "kivy", session_overrides={"now": lambda: monday})
    from kivy.core.window import Window

    from screens.automation import Script

    sys.path.insert(0, str(ROOT / "tests" / "ui"))
    import scenarios

    out: dict = {}

    def steps(s: Script):
        yield s.frames(0)
        out["interactive_s"] = s.results["interactive_s"]
        if walk:
            s.params["artifacts"] = home / "shots"
            s.params["no_shots"] = True
            s.params["number"] = _demo_application_number()
            out["rss_steps"] = []
            for scenario in (
                scenarios.queue,
                scenarios.guide,
                scenarios.forms,
                scenarios.progress,
                scenarios.elderly,
            ):
                app.session.exit()
                yield s.screen_is("home")
                yield from scenario(s)
                if os.environ.get("BENCH_DEBUG_GC"):
                    import gc

                    from screens.views.base import VMScreen

                    gc.collect()
                    alive = [o.name for o in gc.get_objects() if isinstance(o, VMScreen)]
                    with open("/tmp/kv/gc.txt", "a") as fh:
                        fh.write(f"{scenario.__name__} {alive} {round(_rss_mib())}\n")
                out.setdefault("rss_steps", []).append(
                    (scenario.__name__, round(_rss_mib()), round(_peak_mib()))
                )
            out["rss_after_walk_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        app.session.exit()
        yield s.screen_is("home")
        app.session.go("search")
        yield s.screen_is("search")
        vm = app.session.vm("search")
        kb = s.widget("keyboard", "search")
        latencies: list[float] = []
        cpu: list[float] = []
        # the first frame flipped to the screen once the results for the typed query are in,
        # painted: glFinish waits until the renderer has written its pixels (a flip only
        # hands the frame over; llvmpipe paints it on its own threads afterwards)
        from kivy.graphics.opengl import glFinish

        watch: dict = {"query": None, "drawn": None}

        def flipped(*_a):
            if watch["query"] is not None and vm.results_for == watch["query"]:
                glFinish()
                watch["drawn"] = time.perf_counter()
                watch["query"] = None

        Window.bind(on_flip=flipped)
        done = 0
        while done < keystrokes:
            for query in QUERIES:
                s.tap(kb.key("<CLEAR>"))
                yield s.until(lambda: vm.in_flight is None and vm.queued is None, "idle")
                yield s.frames(2)
                for key in query:
                    if done >= keystrokes:
                        break
                    watch["drawn"] = None
                    t0 = time.perf_counter()
                    c0 = time.thread_time()
                    s.tap(kb.key(key))
                    watch["query"] = vm.keyboard.query().strip()
                    yield s.until(lambda: watch["drawn"] is not None, "results drawn")
                    latencies.append(watch["drawn"] - t0)
                    cpu.append(time.thread_time() - c0)
                    done += 1
                if done >= keystrokes:
                    break
        out["keystroke_ms"] = [round(x * 1000, 2) for x in latencies]
        out["keystroke_cpu_ms"] = [round(x * 1000, 2) for x in cpu]
        out["search_raster_ms"] = _raster_ms(Window, 10)

    script = Script(app, steps, total_timeout=600)

    def interactive() -> None:
        def flipped(*_a):
            Window.unbind(on_flip=flipped)
            script.results["interactive_s"] = time.time() - spawned
            script.start()

        Window.bind(on_flip=flipped)

    app.when_started(interactive)
    try:
        app.run()
    finally:
        core.close()
    if script.error:
        raise SystemExit(f"bench script failed:\n{script.error}")
    _report(out)


# --- parent ----------------------------------------------------------------------------------
def with_big_catalog(kiosk_db: Path, catalog_store: Path) -> None:
    """Replace the enrolled kiosk's store with a copy of `catalog_store` holding the kiosk's
    own rows (outbox, services, meta…) but no catalog cursor: the kiosk's first sync pass then
    follows the server's feed from the start, the demo items indexed beside the big catalog."""
    import sqlite3

    big = kiosk_db.with_name("big.db")
    src = sqlite3.connect(f"file:{catalog_store}?mode=ro", uri=True)
    conn = sqlite3.connect(big, isolation_level=None)
    src.backup(conn)  # a consistent copy, nothing written to the source
    src.close()
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("ATTACH ? AS k", (str(kiosk_db),))
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM k.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
        "AND name NOT LIKE 'catalog%' AND name NOT LIKE 'search%'")]
    conn.execute("BEGIN")
    for table in tables:
        conn.execute(f"DELETE FROM main.{table}")
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM k.{table}")
    conn.execute("DELETE FROM main.meta WHERE key LIKE 'catalog%'")
    conn.execute("COMMIT")
    conn.execute("DETACH k")
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{kiosk_db}{suffix}").unlink(missing_ok=True)
    big.replace(kiosk_db)


def run_child(args: list[str], env: dict[str, str]) -> dict:
    spawned = time.time()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *args, "--spawned", repr(spawned)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"child {args} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(line[len("RESULT ") :])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description="touch UI benchmark")
    parser.add_argument("--runs", type=int, default=3, help="cold starts of each app")
    parser.add_argument("--keystrokes", type=int, default=40)
    parser.add_argument("--child", choices=["baseline", "kiosk", "kiosk-walk"])
    parser.add_argument("--spawned", type=float)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--catalog-store", type=Path,
                        help="a store synced by bench/bench_search_shapes.py --dir (e.g. its "
                             "zhengzhou.db): the kiosk starts with that catalog and its search "
                             "index, the demo catalog synced on top by its first pass")
    parser.add_argument("--search-mmap-mib", type=int,
                        help="kiosk.search_mmap_mib for the kiosk (default: default.toml's)")
    args = parser.parse_args()
    if args.child == "baseline":
        child_baseline(args.spawned, args.home)
        return
    if args.child:
        child_kiosk(args.spawned, args.home, args.keystrokes, args.child == "kiosk-walk")
        return

    from tests.ui.ui_support import make_kiosk_home, start_hall

    tmp = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    hall = start_hall(tmp / "hall")
    try:
        kiosk = make_kiosk_home(hall, tmp / "k1", name="BENCH-UI-K1")
        if args.catalog_store:
            with_big_catalog(kiosk.home / "kiosk.db", args.catalog_store)
        env = dict(kiosk.env)
        if args.search_mmap_mib is not None:
            env["KIOSK_KIOSK_SEARCH_MMAP_MIB"] = str(args.search_mmap_mib)
        home = ["--home", str(kiosk.home)]
        base = [run_child(["baseline", *home], env) for _ in range(args.runs)]
        starts = [run_child(["kiosk", *home, "--keystrokes", "0"], env) for _ in range(args.runs)]
        walk = run_child(["kiosk-walk", *home, "--keystrokes", str(args.keystrokes)], env)
    finally:
        hall.server.stop()

    b_first = [r["first_frame_s"] for r in base]
    cpu = walk["keystroke_cpu_ms"]
    k_first = [r["interactive_s"] for r in starts]
    keys = walk["keystroke_ms"]
    rows = [
        (
            f"cold start → interactive home (s), first / median of {args.runs}",
            f"{k_first[0]:.2f} / {statistics.median(k_first):.2f}",
            f"{b_first[0]:.2f} / {statistics.median(b_first):.2f}",
            "≤ 1.5",
        ),
        (
            "peak RSS at home (MiB)",
            f"{statistics.median(r['peak_rss_mib'] for r in starts):.0f}",
            f"{statistics.median(r['peak_rss_mib'] for r in base):.0f}",
            "—",
        ),
        (
            "peak RSS after walking every screen (MiB)",
            f"{walk['rss_after_walk_mib']:.0f}",
            "—",
            "≤ 250",
        ),
        (
            f"keystroke → results drawn (ms), p50 / p95 / max of {len(keys)}",
            f"{pct(keys, 50):.1f} / {pct(keys, 95):.1f} / {max(keys):.1f}",
            "—",
            "≤ 50",
        ),
        (
            "  of which UI-thread CPU per keystroke (ms), p50 / p95",
            f"{pct(cpu, 50):.1f} / {pct(cpu, 95):.1f}",
            "—",
            "—",
        ),
        (
            "one frame painted by the software renderer (ms): search screen | one label",
            f"{walk['search_raster_ms']:.1f}",
            f"{statistics.median(r['raster_ms'] for r in base):.1f}",
            "—",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'kiosk':>20}  {'bare Kivy + CJK':>18}  {'target':>7}")
    for name, value, baseline, target in rows:
        print(f"{name:<{width}}  {value:>20}  {baseline:>18}  {target:>7}")
    steps = ", ".join(f"{name} {now}/{peak}" for name, now, peak in walk.get("rss_steps", []))
    print(f"RSS now/peak MiB after each walked flow: {steps}")
    load = os.getloadavg()[0]
    print(f"(bench home {tmp}; {os.cpu_count()} CPUs, load average {load:.1f} at the end)")


if __name__ == "__main__":
    main()
