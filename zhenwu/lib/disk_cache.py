"""The embedded deployment's cache: diskcache's Django backend, kept open between requests."""

from diskcache import DjangoCache


class KeptOpenDiskCache(DjangoCache):
    """diskcache's DjangoCache without the close at the end of every request.

    Django closes every cache when a request finishes (``request_finished`` → ``close_caches``).
    For diskcache that closes each shard's SQLite connection, and closing the last connection of a
    WAL database checkpoints it: about 4 ms of a resident's 10 ms form POST (bench/cache.py
    --requests). The connections are per thread and reopened after a fork (diskcache compares the
    process id), so keeping them open is safe; they close with the process.
    """

    def close(self, **kwargs):
        """Keep the connections; see the class docstring."""
