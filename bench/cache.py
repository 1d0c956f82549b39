"""The cache cost of one anonymous write (a resident's form POST) in a one-machine deployment:
three django-ratelimit checks (per address, per browser, for all: cache.add + cache.incr each), then
the close Django makes of every cache when the request finishes. Backends: Django's file cache,
which Zhenwu used until 2026-12; diskcache's DjangoCache as shipped (SQLite files, atomic
increments), whose close shuts each shard's SQLite connection and so checkpoints its WAL; and
zhenwu.lib.disk_cache.KeptOpenDiskCache, the embedded default, which keeps them open. Each holds N
other entries (rate-limit counters of other addresses and pages; sessions are not cached).

    .venv/bin/python bench/cache.py              # 0, 5,000 and 20,000 entries, 1,000 requests each
    .venv/bin/python bench/cache.py --quick      # 0 and 500 entries, 100 requests (bench/test_cache.py)

Prints one line per backend and size: milliseconds per request (mean and p95, wall clock: the file
cache's cost is mostly system calls). The caches live in a temporary folder on the data disk.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def backends(folder):
    from diskcache import DjangoCache
    from django.core.cache.backends.filebased import FileBasedCache

    from zhenwu import settings as zhenwu_settings
    from zhenwu.lib.disk_cache import KeptOpenDiskCache

    # The production default's own options, whatever they become.
    options = dict(zhenwu_settings.CACHES["default"]) if "disk" in str(
        zhenwu_settings.CACHES["default"]["BACKEND"]) else {"SHARDS": 4, "OPTIONS": {}}
    options.pop("BACKEND", None)
    options.pop("LOCATION", None)
    return {
        "file cache (django FileBasedCache)": FileBasedCache(str(folder / "file"), {"OPTIONS": {"MAX_ENTRIES": 20000}}),
        "diskcache closed per request (DjangoCache)": DjangoCache(str(folder / "disk"), options),
        "diskcache kept open (KeptOpenDiskCache)": KeptOpenDiskCache(str(folder / "kept"), options),
    }


def request(cache, i):
    """One form POST's rate limiting: three windows counted, then Django's end-of-request close."""
    for scope in ("address", "browser", "all"):
        key = f"rl:report:{scope}:{i % 50}"
        cache.add(key, 0, 600)
        cache.incr(key)
    cache.close()


def fill(cache, start, stop):
    for i in range(start, stop):
        cache.set(f"rl:other:{i}", 1, 600)


def measure(cache, requests):
    times = []
    for i in range(requests):
        started = time.perf_counter()
        request(cache, i)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.fmean(times), times[int(len(times) * 0.95) - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenwu.settings")
    import django

    django.setup()
    sizes, requests = ((0, 500), 100) if args.quick else ((0, 5000, 20000), 1000)
    with tempfile.TemporaryDirectory(dir=os.environ.get("ZHENWU_DATA_DIR")) as folder:
        for name, cache in backends(Path(folder)).items():
            filled = 0
            for size in sizes:
                fill(cache, filled, size)
                filled = size
                mean, p95 = measure(cache, requests)
                print(f"{name}: {size:,} entries: {mean:.3f} ms per request (p95 {p95:.3f} ms)")


if __name__ == "__main__":
    main()
