/* A small fork-join thread pool: the one way kernels run work on several cores.
 *
 *   vc_threads *t = NULL;
 *   if (vc_threads_create(2, &t)) goto fail;        // the caller's thread + 1 worker
 *   vc_threads_run(t, n_tasks, fn, arg);            // fn(arg, task, worker) for every task
 *   vc_threads_destroy(t);
 *
 * vc_threads_run returns when every task has run. Tasks are handed out in order from a
 * shared counter, so which worker runs a task varies from call to call: a task must
 * write only its own part of the output (and per-worker scratch, indexed by `worker`),
 * and its result must not depend on the worker. Kernels split work so that each output
 * element is computed by the same instructions in the same order whatever the number of
 * threads; that makes results bit-identical for any thread count.
 *
 * A NULL pool, or a pool of one thread, runs every task on the caller's thread. The
 * caller's thread always takes part (worker 0). Idle workers spin for a few
 * microseconds after a run (consecutive kernels of one model follow each other
 * closely), then sleep on a condition variable.
 *
 * One run at a time: a pool belongs to one method instance, which is used by one thread
 * at a time (runtime.h). Limits: at most VC_THREADS_MAX threads.
 */
#ifndef VC_THREADS_H
#define VC_THREADS_H

#include <stdint.h>

#include "voce/voce.h"

#define VC_THREADS_MAX 256

typedef struct vc_threads vc_threads;

typedef void (*vc_task_fn)(void *arg, int64_t task, int worker);

/* n_threads >= 1 (the caller's thread counts as one); more than VC_THREADS_MAX is an
 * error. Fails with VOCE_ERR_ALLOC (message set) when a thread cannot be started. */
voce_status vc_threads_create(int n_threads, vc_threads **out);
void vc_threads_destroy(vc_threads *t);

/* Threads of the pool; 1 for NULL. */
int vc_threads_count(const vc_threads *t);

/* Run fn(arg, task, worker) for task in [0, n_tasks) and wait for all of them.
 * worker is in [0, vc_threads_count(t)). */
void vc_threads_run(vc_threads *t, int64_t n_tasks, vc_task_fn fn, void *arg);

/* How many tasks to cut work into: about four per thread (enough to even out a busy
 * core), none with less than min_work (handing out less costs more than it saves), at
 * most units (rows, channels: what the work splits along), and at least 1. work and
 * min_work are in any one unit (multiply-adds, elements). */
int64_t vc_threads_tasks(const vc_threads *t, int64_t units, int64_t work, int64_t min_work);

/* Physical cores this process may run on: the CPUs of its affinity mask, counting
 * hyper-thread siblings once (Linux sysfs topology); at least 1. */
int vc_physical_cores(void);

#endif
