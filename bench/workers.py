"""Benchmark: stored batches processed by one worker and by several at once (issue 14, item 3).

    .venv/bin/python bench/workers.py [--notices 200000] [--persons 50000] [--batch-size 10000]
        [--runs 1:1,2:1,2:2] [--database-url postgres://postgres@127.0.0.1:5432/pension_bench]

For each run, K workers on batches cut in P parts (`--runs K:P,…`; settings.BATCH_PARTS): the
bench database is dropped and built again exactly as bench/notices.py builds it (the same county,
the same notice stream from the same seed), every batch is pushed through the signed API with its
processing held back (stored only, as when the workers are busy), then K worker processes take the
stored batches' parts in the order of arrival (each batch's parts one after the other, as
`payments.tasks.batch_dispatch` queues them) and call `payments.processing.batch_process(batch,
part)`, which is all a Celery worker does for a task. A part whose reversal waits for an earlier
batch another worker holds (`EarlierBatchWaiting`) and a part aborted by a deadlock go back to the
queue, as the Celery task retries them. The processing wall time is measured from the first part
taken to the last committed, and bench/notices.py's checks (each voucher line credited once, the
counts, the ledger's totals) run on the result.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import notices as nb  # noqa: E402 - after the path is set


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notices", type=int, default=200_000)
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument(
        "--runs",
        default="1:1,2:1,2:2",
        help="the runs to compare, each workers:parts (the parts a batch is processed in), e.g. 1:1,2:2",
    )
    parser.add_argument("--database-url", default=nb.DEFAULT_URL)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--by-person",
        action="store_true",
        help="batch the notices in the order of their persons, so batches side by side touch different "
        "persons (as a province's counties send their own batches); by default every batch spans the county",
    )
    parser.add_argument(
        "--overlap",
        action="store_true",
        help="push while the workers process, each batch's parts queued as its push commits: the time is the "
        "end to end, from the first push to the last part committed; by default every batch is stored first",
    )
    return parser.parse_args(argv)


def _worker(url: str, todo: mp.Queue, done: mp.Queue) -> None:
    nb.setup_django(url)
    from django.db import OperationalError, connection

    from oversight import tasks as oversight_tasks
    from payments import processing

    # The progress summary is counted by its own task on a worker, once for many batches (as in
    # bench/notices.py): not part of the crediting measured here.
    oversight_tasks.refresh_stale.apply_async = lambda *a, **k: None
    while (task := todo.get()) is not None:
        try:
            processing.batch_process(*task)
            done.put(("ok", time.perf_counter()))
        except (processing.EarlierBatchWaiting, OperationalError) as exc:
            connection.close()
            done.put((type(exc).__name__, time.perf_counter()))
            time.sleep(0.05)
            todo.put(task)
        except Exception as exc:  # the run stops with it (below)
            done.put((f"failed: {exc!r}"[:300], time.perf_counter()))


def run(args: argparse.Namespace, workers: int, parts: int) -> dict:
    rng = random.Random(args.seed)
    n = args.notices
    n_dups, n_unmatched, n_reversals = round(n * nb.DUP_RATE), round(n * nb.UNMATCHED_RATE), round(n * nb.REVERSAL_RATE)
    n_good = n - n_dups - n_unmatched - n_reversals
    nb.recreate_database(args.database_url)
    nb.setup_django(args.database_url)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections, transaction
    from django.test import Client

    from payments import tasks
    from payments.models import NoticeBatch
    from payments.signing import sign

    call_command("migrate", interactive=False, verbosity=0)
    county = nb.build_county(args.persons, (n_unmatched + 1) // 2 + 1)
    gov_uscc = nb.gov_payer_uscc()
    goods, bad = nb.make_primaries(rng, args.persons, n_good, n_unmatched)
    primaries = goods + bad
    rng.shuffle(primaries)
    stream = nb.make_stream(rng, primaries, n_dups, n_reversals, args.batch_size, first_seq=1)
    nb.enrol_gov_paid_members(stream.records)
    if args.by_person:
        order = sorted(range(len(stream.records)), key=lambda i: (stream.records[i][1], stream.records[i][0]))
        stream.records = [stream.records[i] for i in order]
        stream.expect = [stream.expect[i] for i in order]

    settings.BATCH_PARTS = parts
    settings.BATCH_PART_MIN_NOTICES = 1
    tag = f"W{workers}P{parts}"
    context = mp.get_context("fork")
    todo, done = context.Queue(), context.Queue()
    if args.overlap:
        # Each batch's parts are queued once its push has committed, as tasks.batch_dispatch does;
        # the bodies are built first (the tax bureau's side), so only the agency's work is timed.
        tasks.batch_dispatch = lambda batch_pk: transaction.on_commit(
            lambda: [todo.put((batch_pk, part)) for part in range(parts)]
        )
        bodies = [
            (
                f"{tag}-{number:05d}",
                nb.batch_body(f"{tag}-{number:05d}", [nb.notice_dict(r, county, gov_uscc) for r in chunk]),
            )
            for number, chunk in enumerate(
                (stream.records[i : i + args.batch_size] for i in range(0, n, args.batch_size)), start=1
            )
        ]
        batch_ids = [batch_id for batch_id, _body in bodies]
    else:
        # Stored only, in `parts` parts each: the workers below process them.
        tasks.batch_dispatch = lambda batch_pk: None
        _build, post, statuses, batch_ids = nb.push_batches(
            Client(), stream.records, county, gov_uscc, args.batch_size, nb.Timers(), tag=tag
        )
        for pk in NoticeBatch.objects.filter(batch_id__in=batch_ids).order_by("pk").values_list("pk", flat=True):
            for part in range(parts):
                todo.put((pk, part))
    nb.sql_exec("ANALYZE")
    nb.checkpoint()
    connections.close_all()
    # The forked workers inherit the generated stream (the tax bureau's side): frozen, the cycle
    # collector does not traverse it, as a crediting worker never holds it (bench/notices.py).
    gc.collect()
    gc.freeze()

    procs = [context.Process(target=_worker, args=(args.database_url, todo, done)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    began = time.perf_counter()
    if args.overlap:
        client, statuses = Client(), Counter()
        for batch_id, body in bodies:
            timestamp = str(int(time.time()))
            headers = {
                "X-Client-Id": nb.CLIENT_ID,
                "X-Timestamp": timestamp,
                "X-Signature": sign(nb.SECRET, timestamp, body),
            }
            response = client.post(nb.URL, data=body, content_type="application/json", headers=headers)
            statuses[response.status_code] += 1
            if response.status_code != 202:
                raise SystemExit(f"batch {batch_id}: HTTP {response.status_code}: {response.content[:2000]!r}")
        post = time.perf_counter() - began
        connections.close_all()
    outcomes: Counter = Counter()
    last = began
    while outcomes["ok"] < len(batch_ids) * parts:
        what, at = done.get()
        if what.startswith("failed"):
            raise SystemExit(f"a worker {what}")
        outcomes[what] += 1
        last = max(last, at)
    seconds = last - began
    for _ in procs:
        todo.put(None)
    for proc in procs:
        proc.join()

    pks = list(NoticeBatch.objects.filter(batch_id__in=batch_ids).values_list("pk", flat=True))
    assert set(NoticeBatch.objects.filter(pk__in=pks).values_list("parts", flat=True)) == {parts}

    processed = NoticeBatch.objects.filter(pk__in=pks, status=NoticeBatch.Status.PROCESSED).count()
    push = {
        "statuses": dict(statuses),
        "batches": len(batch_ids),
        "processed_batches": processed,
        "last_status": {"status": "processed" if processed == len(pks) else "received"},
    }
    ok, lines = nb.check(stream, push)
    connections.close_all()  # the next run drops and builds the database again
    return {
        "workers": workers,
        "parts": parts,
        "seconds": seconds,
        "rate": n / seconds,
        "outcomes": outcomes,
        "ok": ok,
        "lines": lines,
        "push_rate": n / post,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = None
    results = []
    for workers, parts in [map(int, r.split(":")) for r in args.runs.split(",")]:
        print(
            f"{workers} worker(s), {parts} part(s) a batch: building and pushing {args.notices:,} notices", flush=True
        )
        result = run(args, workers, parts)
        if info is None:
            from django.db import connections

            info = nb.machine()
            connections.close_all()
        results.append(result)
        print(
            f"  processed in {result['seconds']:.1f} s: {result['rate']:,.0f} notices/s; "
            f"parts taken: {dict(result['outcomes'])}; checks {'passed' if result['ok'] else 'FAILED'}",
            flush=True,
        )
        if not result["ok"]:
            print("\n".join(result["lines"]))
    print()
    print(f"Machine: {info}")
    print(
        f"Command: .venv/bin/python bench/workers.py --notices {args.notices} --persons {args.persons} "
        f"--batch-size {args.batch_size} --runs {args.runs}"
        + (" --by-person" if args.by_person else "")
        + (" --overlap" if args.overlap else "")
    )
    timed = "end to end s" if args.overlap else "processing s"
    print(f"| workers | parts | {timed} | notices/s | vs the first run | parts taken (ok / requeued) | checks |")
    print("|---:|---:|---:|---:|---:|---|---|")
    base = results[0]["rate"]
    for r in results:
        requeued = sum(v for k, v in r["outcomes"].items() if k != "ok")
        print(
            f"| {r['workers']} | {r['parts']} | {r['seconds']:.1f} | {r['rate']:,.0f} | {r['rate'] / base:.2f}× | "
            f"{r['outcomes']['ok']} / {requeued} | {'all passed' if r['ok'] else 'FAILED'} |"
        )
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
