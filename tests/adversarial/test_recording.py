"""Floods and races through the fast recording core (qf_otel._recording) in real processes:
cardinality limit and the overflow series with bounded memory, exact totals under concurrent
recording and scraping, and forks in the middle of it all."""

from __future__ import annotations

from tests.adversarial._support import promtool_check, run_python
from tests.support.ports import free_port


def test_label_flood_is_capped_with_exact_overflow_and_bounded_memory() -> None:
    """Held: 100 000 distinct attribute sets against a limit of 50: 49 own series + 1 overflow
    series holding the rest, the sum exact, memory of the flood under 5 MB, valid exposition."""
    port = free_port()
    run = run_python(f"""
        import tracemalloc, urllib.request, qf_otel
        from qf_otel._recording import Counter, Histogram
        t = qf_otel.configure(prometheus_port={port}, cardinality_limit=50,
                              disabled_instrumentations=["system_metrics"])
        users = Counter("adv.flood", unit="1", description="d", attributes=("user",))
        waits = Histogram("adv.flood.wait", unit="s", description="d", attributes=("user",))
        tracemalloc.start()
        for i in range(100_000):
            users.series(f"user-{{i}}").add(1)
            waits.series(f"user-{{i}}").record(0.01)
        _, peak = tracemalloc.get_traced_memory()
        series = users.all_series()
        overflow = [s.value for s in series if s.attributes == {{"otel.metric.overflow": True}}]
        body = urllib.request.urlopen(t.metrics_url, timeout=5).read().decode()
        report({{"series": len(series), "overflow": overflow,
                 "total": sum(s.value for s in series), "peak": peak,
                 "hist_series": len(waits.all_series()),
                 "hist_count": sum(s.count for s in waits.all_series()), "body": body}})
    """, timeout=60)
    result = run.result()
    assert result["series"] == 50 and result["hist_series"] == 50
    assert result["overflow"] == [100_000 - 49]
    assert result["total"] == 100_000 and result["hist_count"] == 100_000
    assert result["peak"] < 5 * 2**20, result["peak"]
    body = result["body"]
    assert body.count("adv_flood_total{") == 50
    assert 'adv_flood_total{otel_metric_overflow="true"' in body
    passed, said = promtool_check(body)
    assert passed, said


def test_sdk_instrument_flood_is_capped_too() -> None:
    """The application's own OTel instruments get the configured limit per stream as well."""
    port = free_port()
    run = run_python(f"""
        import urllib.request, qf_otel
        from opentelemetry import metrics
        t = qf_otel.configure(prometheus_port={port}, cardinality_limit=20,
                              disabled_instrumentations=["system_metrics"])
        counter = metrics.get_meter("app").create_counter("adv.sdk.flood")
        for i in range(5_000):
            counter.add(1, {{"user": f"u{{i}}"}})
        report(urllib.request.urlopen(t.metrics_url, timeout=5).read().decode())
    """, timeout=60)
    lines = [x for x in run.result().splitlines() if x.startswith("adv_sdk_flood_total{")]
    assert len(lines) == 20
    assert sum(float(x.rsplit(" ", 1)[1]) for x in lines) == 5_000


def test_recording_and_scraping_race_keeps_totals_exact_and_monotonic() -> None:
    """Held: 4 threads add to shared and new series while 2 threads scrape; every scrape sees a
    non-decreasing total and the last one sees exactly what was added."""
    port = free_port()
    run = run_python(f"""
        import re, threading, urllib.request, qf_otel
        from qf_otel._recording import Counter
        t = qf_otel.configure(prometheus_port={port}, disabled_instrumentations=["system_metrics"])
        hits = Counter("adv.race", unit="1", description="d", attributes=("worker", "shard"))
        done = threading.Event()
        totals = []
        def record(worker):
            for i in range(20_000):
                hits.series(str(worker), str(i % 50)).add(1)
        def scrape():
            seen = []
            while not done.is_set():
                body = urllib.request.urlopen(t.metrics_url, timeout=5).read().decode()
                seen.append(sum(float(v) for v in re.findall(r"^adv_race_total{{.*}} (\\S+)$",
                                                             body, re.M)))
            totals.append(seen)
        recorders = [threading.Thread(target=record, args=(w,)) for w in range(4)]
        scrapers = [threading.Thread(target=scrape) for _ in range(2)]
        for thread in scrapers + recorders:
            thread.start()
        for thread in recorders:
            thread.join()
        done.set()
        for thread in scrapers:
            thread.join()
        body = urllib.request.urlopen(t.metrics_url, timeout=5).read().decode()
        final = sum(float(v) for v in re.findall(r"^adv_race_total{{.*}} (\\S+)$", body, re.M))
        report({{"final": final, "scrapes": sum(len(s) for s in totals),
                 "monotonic": all(a <= b for s in totals for a, b in zip(s, s[1:]))}})
    """, timeout=60)
    result = run.result()
    assert result["final"] == 80_000
    assert result["monotonic"] is True
    assert result["scrapes"] >= 2


def test_forks_during_scrapes_never_hang_and_children_start_from_zero() -> None:
    """Held: a thread scrapes non-stop while the main thread forks 10 children; each child serves
    its own series within 5 s, with only its own count."""
    port = free_port()
    run = run_python(f"""
        import json, os, threading, time, urllib.request, qf_otel
        from qf_otel._recording import Counter
        t = qf_otel.configure(prometheus_port={port}, disabled_instrumentations=["system_metrics"])
        hits = Counter("adv.forked", unit="1", description="d", attributes=())
        hits.series().add(1000)
        stop = threading.Event()
        def scrape():
            while not stop.is_set():
                urllib.request.urlopen(t.metrics_url, timeout=5).read()
        scraper = threading.Thread(target=scrape)
        scraper.start()
        codes = []
        for n in range(10):
            child = os.fork()
            if child == 0:
                code = 1
                try:
                    hits.series().add(n)
                    families = json.loads(t.prometheus.render_peer())
                    mine = [s for f in families if f["name"] == "adv_forked_total"
                            for s in f["samples"]]
                    code = 0 if [s[2] for s in mine] == [n] else 2
                finally:
                    os._exit(code)
            deadline = time.monotonic() + 5
            while True:
                done, status = os.waitpid(child, os.WNOHANG)
                if done:
                    codes.append(os.waitstatus_to_exitcode(status))
                    break
                if time.monotonic() > deadline:
                    os.kill(child, 9)
                    os.waitpid(child, 0)
                    codes.append("hung")
                    break
                time.sleep(0.01)
        stop.set()
        scraper.join()
        report(codes)
    """, timeout=60)
    assert run.result() == [0] * 10


def test_forked_child_starts_the_apps_own_instruments_from_zero() -> None:
    """gunicorn --preload: the app recorded 100 in the master before forking its workers."""
    run = run_python("""
        import json, os, qf_otel
        from opentelemetry import metrics
        t = qf_otel.configure(prometheus_port=0, disabled_instrumentations=["system_metrics"])
        meter = metrics.get_meter("app")
        counter = meter.create_counter("adv.preload")
        waits = meter.create_histogram("adv.preload.wait", unit="s")
        counter.add(100)
        waits.record(0.1)
        child = os.fork()
        if child == 0:
            counter.add(1)
            families = {f["name"]: f["samples"] for f in json.loads(t.prometheus.render_peer())}
            counts = [s[2] for s in families.get("adv_preload_wait_seconds", [])
                      if s[0].endswith("_count")]
            report({"counter": [s[2] for s in families["adv_preload_total"]],
                    "histogram_count": sum(counts)})
            os._exit(0)
        os.waitpid(child, 0)
    """)
    assert run.result() == {"counter": [1], "histogram_count": 0}


def test_identical_redefinition_keeps_what_the_first_definition_recorded() -> None:
    """Two modules (or a reloaded one) define the same instrument with the same shape."""
    run = run_python("""
        import urllib.request, qf_otel
        from qf_otel._recording import Counter
        first = Counter("adv.dup", unit="1", description="d", attributes=("k",))
        first.series("x").add(5)
        second = Counter("adv.dup", unit="1", description="d", attributes=("k",))
        second.series("x").add(1)
        first.series("x").add(10)          # the first module keeps recording
        t = qf_otel.configure(prometheus_port=0, disabled_instrumentations=["system_metrics"])
        body = urllib.request.urlopen(t.metrics_url, timeout=5).read().decode()
        report([line.rsplit(" ", 1)[1] for line in body.splitlines()
                if line.startswith("adv_dup_total{")])
    """)
    assert run.result() == ["16"]
