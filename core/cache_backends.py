from diskcache import DjangoCache


class DiskCache(DjangoCache):
    """python-diskcache's Django backend (SQLite files that every local process shares), kept
    open between requests. Django closes every cache when a request finishes; for diskcache that
    shuts the SQLite connection of each shard, to be opened again by the next request."""

    def close(self, **kwargs) -> None:
        pass
