// LD_PRELOAD shim: log every malloc-family block glibc serves with its own mapping (>= the mmap
// threshold, 512 KB in the bot: bot/allocator.py) and at least 256 KB, with a backtrace, and its
// free; so a live big block that tracemalloc cannot see (C: SQLite, pydantic-core, onnxruntime,
// or the interpreter's own tables made before tracemalloc started) is named afterwards by
// bench/malloc_log/live.py. Issue 23: it named the chaos soak's step (CPython's interned-string
// table doubling). Costs a backtrace per big block only; small blocks pass straight through.
//
//   gcc -O2 -shared -fPIC -o /tmp/bigalloc.so bench/malloc_log/bigalloc.c
//   mkdir /tmp/big
//   .venv/bin/python bench/chaos.py --minutes 8 --flood-every 60 80 --steady-env LD_PRELOAD=/tmp/bigalloc.so --steady-env BIGALLOC_DIR=/tmp/big
//   .venv/bin/python bench/malloc_log/live.py /tmp/big/big-PID.log
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <time.h>
#include <execinfo.h>
#include <errno.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static int fd = -1;
static __thread int busy;
#define MIN_LOG (256 * 1024)

static int is_mmapped(void *p) { return p && (((size_t *)p)[-1] & 2); }
static double now(void) { struct timespec t; clock_gettime(CLOCK_REALTIME, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void open_log(void) {
    if (fd >= 0) return;
    const char *dir = getenv("BIGALLOC_DIR");
    if (!dir) return;
    char path[512];
    snprintf(path, sizeof path, "%s/big-%d.log", dir, getpid());
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
}

__attribute__((constructor)) static void init(void) {
    void *frames[2];
    busy = 1; backtrace(frames, 2); busy = 0;  // loads libgcc_s now, not inside a hook
    open_log();
}

static void log_alloc(const char *op, void *p, size_t size) {
    if (busy || fd < 0 || !p || size < MIN_LOG || !is_mmapped(p)) return;
    busy = 1;
    char line[160];
    int n = snprintf(line, sizeof line, "M %.3f %p %zu %s tid=%ld\n", now(), p, size, op, (long)gettid());
    write(fd, line, n);
    void *frames[40];
    int depth = backtrace(frames, 40);
    backtrace_symbols_fd(frames + 2, depth - 2, fd);
    write(fd, "E\n", 2);
    busy = 0;
}

static void log_free(void *p) {
    if (busy || fd < 0 || !p || !is_mmapped(p)) return;
    size_t sz = (((size_t *)p)[-1] & ~(size_t)7);
    if (sz < MIN_LOG) return;
    busy = 1;
    char line[96];
    int n = snprintf(line, sizeof line, "F %.3f %p\n", now(), p);
    write(fd, line, n);
    busy = 0;
}

void *malloc(size_t s) { void *p = __libc_malloc(s); log_alloc("malloc", p, s); return p; }
void *calloc(size_t a, size_t b) { void *p = __libc_calloc(a, b); log_alloc("calloc", p, a * b); return p; }
void free(void *p) { log_free(p); __libc_free(p); }
void *realloc(void *old, size_t s) {
    int was = is_mmapped(old);
    if (was) log_free(old);
    void *p = __libc_realloc(old, s);
    if (!p && s && was) { /* failed: old still live; ignore */ }
    log_alloc("realloc", p, s);
    return p;
}
void *memalign(size_t a, size_t s) { void *p = __libc_memalign(a, s); log_alloc("memalign", p, s); return p; }
void *aligned_alloc(size_t a, size_t s) { void *p = __libc_memalign(a, s); log_alloc("aligned_alloc", p, s); return p; }
int posix_memalign(void **out, size_t a, size_t s) {
    void *p = __libc_memalign(a, s);
    if (!p) return ENOMEM;
    *out = p; log_alloc("posix_memalign", p, s); return 0;
}
void *valloc(size_t s) { void *p = __libc_memalign(sysconf(_SC_PAGESIZE), s); log_alloc("valloc", p, s); return p; }
