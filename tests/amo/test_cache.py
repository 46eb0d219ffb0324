"""The Redis cache backend (amo/cache.py): Django's, with one redis client per connection pool."""

from django.core.cache import caches


def test_the_cache_reuses_its_redis_client_and_still_reads_what_it_wrote():
    cache = caches["default"]
    cache.set("amo-cache-test", {"cents": 250_000}, timeout=30)
    assert cache.get("amo-cache-test") == {"cents": 250_000}
    assert cache.get_many(["amo-cache-test", "amo-cache-missing"]) == {"amo-cache-test": {"cents": 250_000}}
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client  # one server: reads and writes share a pool
    assert caches["catalog"]._cache.get_client() is not client  # each alias has its own pools
