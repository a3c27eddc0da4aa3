# arena-thrash.diff's case (selftest.sh counts the munmap calls): strings, which have no free list, that take a
# little more than one arena (256 KB) and then go, every turn; unpatched, each turn unmaps an arena.
for turn in range(2000):
    chunk = ['%d-x' % i for i in range(7000)]
    del chunk
