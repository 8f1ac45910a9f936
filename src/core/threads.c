/* Fork-join pool. One 64-bit atomic word holds the run's generation (high 32 bits) and
 * the next task to hand out (low 32 bits): a worker takes a task with a compare-and-swap
 * that fails if the caller has meanwhile started another run, so a slow worker can never
 * take a task of the wrong run, and workers wait for the generation to change. The thread
 * that finishes the last task of a run wakes the caller. */
#define _GNU_SOURCE
#include "threads.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Spin this many polls (a few microseconds) before sleeping: the next kernel of a model
 * usually starts sooner than a futex wake-up would take. */
#define SPIN_POLLS 20000
#define MAX_TASKS ((int64_t)1 << 31)

typedef struct worker {
    vc_threads *pool;
    int index;
    pthread_t thread;
} worker;

struct vc_threads {
    int n;                      /* threads including the caller */
    int started;                /* workers actually started */
    worker *workers;            /* n - 1 of them */
    pthread_mutex_t lock;
    pthread_cond_t wake;        /* workers wait here for a new generation */
    pthread_cond_t done;        /* the caller waits here for pending == 0 */
    atomic_int quit;
    /* the current run; written by the caller before it publishes the generation */
    _Atomic(vc_task_fn) fn;
    _Atomic(void *) arg;
    atomic_int_fast64_t n_tasks;
    atomic_uint_fast64_t next;  /* generation << 32 | next task */
    atomic_int_fast64_t pending;/* tasks of the run not yet finished */
};

static uint64_t generation_of(uint64_t word) { return word >> 32; }

static void finish_task(vc_threads *t)
{
    if (atomic_fetch_sub(&t->pending, 1) == 1) {
        pthread_mutex_lock(&t->lock);
        pthread_cond_signal(&t->done);
        pthread_mutex_unlock(&t->lock);
    }
}

/* Take and run tasks of generation gen until none are left or another run began. */
static void run_tasks(vc_threads *t, uint64_t gen, int index)
{
    uint64_t word = atomic_load(&t->next);
    for (;;) {
        if (generation_of(word) != gen) return;
        int64_t task = (int64_t)(word & 0xffffffffu);
        if (task >= atomic_load_explicit(&t->n_tasks, memory_order_relaxed)) return;
        if (!atomic_compare_exchange_weak(&t->next, &word, word + 1)) continue;
        vc_task_fn fn = atomic_load_explicit(&t->fn, memory_order_relaxed);
        fn(atomic_load_explicit(&t->arg, memory_order_relaxed), task, index);
        finish_task(t);
        word = atomic_load(&t->next);
    }
}

/* Wait until the generation differs from seen (or quit); returns the new generation. */
static uint64_t wait_generation(vc_threads *t, uint64_t seen)
{
    for (int i = 0; i < SPIN_POLLS; i++) {
        uint64_t g = generation_of(atomic_load(&t->next));
        if (g != seen || atomic_load(&t->quit)) return g;
    }
    pthread_mutex_lock(&t->lock);
    uint64_t g;
    while ((g = generation_of(atomic_load(&t->next))) == seen && !atomic_load(&t->quit))
        pthread_cond_wait(&t->wake, &t->lock);
    pthread_mutex_unlock(&t->lock);
    return g;
}

static void *worker_main(void *p)
{
    worker *w = p;
    vc_threads *t = w->pool;
    uint64_t seen = 0;
    for (;;) {
        seen = wait_generation(t, seen);
        if (atomic_load(&t->quit)) return NULL;
        run_tasks(t, seen, w->index);
    }
}

voce_status vc_threads_create(int n_threads, vc_threads **out)
{
    *out = NULL;
    if (n_threads < 1 || n_threads > VC_THREADS_MAX)
        return vc_error(VOCE_ERR_INVALID_ARG, "threads: %d is out of range (1 to %d)",
                        n_threads, VC_THREADS_MAX);
    vc_threads *t = calloc(1, sizeof *t);
    if (!t) return vc_error(VOCE_ERR_NOMEM, "threads: out of memory");
    t->n = n_threads;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    pthread_cond_init(&t->done, NULL);
    *out = t;
    if (n_threads == 1) return VOCE_OK;
    t->workers = calloc((size_t)n_threads - 1, sizeof *t->workers);
    if (!t->workers) goto fail;
    for (int i = 1; i < n_threads; i++) {
        worker *w = &t->workers[i - 1];
        w->pool = t;
        w->index = i;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) goto fail;
        t->started++;
    }
    return VOCE_OK;
fail:
    vc_threads_destroy(t);
    *out = NULL;
    return vc_error(VOCE_ERR_NOMEM, "threads: cannot start %d threads", n_threads);
}

void vc_threads_destroy(vc_threads *t)
{
    if (!t) return;
    pthread_mutex_lock(&t->lock);
    atomic_store(&t->quit, 1);
    pthread_cond_broadcast(&t->wake);
    pthread_mutex_unlock(&t->lock);
    for (int i = 0; i < t->started; i++) pthread_join(t->workers[i].thread, NULL);
    free(t->workers);
    pthread_cond_destroy(&t->done);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

int vc_threads_count(const vc_threads *t) { return t ? t->n : 1; }

void vc_threads_run(vc_threads *t, int64_t n_tasks, vc_task_fn fn, void *arg)
{
    if (n_tasks <= 0) return;
    if (!t || t->n == 1 || n_tasks == 1 || n_tasks >= MAX_TASKS) {
        for (int64_t i = 0; i < n_tasks; i++) fn(arg, i, 0);
        return;
    }
    /* Close the previous run first: a worker that read its n_tasks too late (after the
     * stores below) must not be able to take one more of its tasks. */
    uint64_t prev = generation_of(atomic_load(&t->next));
    atomic_store(&t->next, prev << 32 | 0xffffffffu);
    atomic_store(&t->fn, fn);
    atomic_store(&t->arg, arg);
    atomic_store(&t->n_tasks, n_tasks);
    atomic_store(&t->pending, n_tasks);
    uint64_t gen = (prev + 1) & 0xffffffffu;
    pthread_mutex_lock(&t->lock);
    atomic_store(&t->next, gen << 32);
    pthread_cond_broadcast(&t->wake);
    pthread_mutex_unlock(&t->lock);
    run_tasks(t, gen, 0);
    /* spin briefly: the other threads are usually finishing their last task */
    for (int i = 0; i < SPIN_POLLS && atomic_load(&t->pending) > 0; i++) {
    }
    if (atomic_load(&t->pending) > 0) {
        pthread_mutex_lock(&t->lock);
        while (atomic_load(&t->pending) > 0) pthread_cond_wait(&t->done, &t->lock);
        pthread_mutex_unlock(&t->lock);
    }
}

int64_t vc_threads_tasks(const vc_threads *t, int64_t units, int64_t work, int64_t min_work)
{
    int64_t n = work / min_work, most = 4 * (int64_t)vc_threads_count(t);
    if (n > most) n = most;
    if (n > units) n = units;
    return n < 1 ? 1 : n;
}

/* Count distinct cores among the CPUs of the affinity mask, using each CPU's
 * thread_siblings_list as the core's name. Falls back to the CPU count. */
int vc_physical_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    int n_cpus = CPU_COUNT(&set);
    enum { MAX_CORES = 1024, NAME_LEN = 64 };
    char (*names)[NAME_LEN] = calloc(MAX_CORES, NAME_LEN);
    if (!names) return n_cpus > 0 ? n_cpus : 1;
    int cores = 0, unknown = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &set)) continue;
        char path[128], name[NAME_LEN] = "";
        snprintf(path, sizeof path,
                 "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
        FILE *f = fopen(path, "r");
        if (!f || !fgets(name, sizeof name, f)) unknown++;
        if (f) fclose(f);
        if (!name[0]) continue;
        int seen = 0;
        for (int i = 0; i < cores && !seen; i++) seen = strcmp(names[i], name) == 0;
        if (!seen && cores < MAX_CORES) memcpy(names[cores++], name, sizeof name);
    }
    free(names);
    int n = cores + unknown;
    return n > 0 ? n : 1;
}
