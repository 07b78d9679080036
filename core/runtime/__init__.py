"""What every layer relies on: errors, limits, content keys and the cache folder, the result store,
the memory budget, numba caching and the machine."""
