/*
 * The launcher: perfguard's spawner protocol (src/process/spawner.rs) in a
 * small C program, so that each timed run is spawned with vfork from a
 * process of about 1 MiB.
 *
 * Why: a vfork'd child starts its peak resident size (ru_maxrss) at its
 * parent's, and perfguard's own spawner holds some 3.5 MiB of executable
 * and library pages, so it must fork instead, and fork copies page tables
 * and takes copy-on-write faults: about 0.2 ms of harness time per run.
 * From this process a run costs a vfork, as hyperfine's posix_spawn does,
 * and `true` still reads the ~1 MiB that `/usr/bin/time` reads.
 *
 * perfguard embeds this program, starts it with standard input and output
 * on pipes, /dev/null on descriptor 3 and a scratch file for the runs'
 * standard error on descriptor 4. It speaks exactly the spawner's protocol:
 *
 *   -> 'P' program args env cwd      <- 'K' id | 'E' message | 'X' errno
 *   -> 'B' rounds n id...            <- ('M' measured | 'E' message | 'X' errno)... 'D'
 *
 * with u32 and u64 little-endian, bytes as u32 length then bytes, a list as
 * u32 count then bytes, and cwd as u8 0 or 1 then bytes. 'X' (the launcher's
 * only addition) carries the errno of a run that could not start; perfguard
 * words it. SIGUSR1 kills the running process group and stops the rounds.
 *
 * Linux only; built by build.rs with the target's C compiler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NULL_FD 3
#define STDERR_FD 4
#define TAIL_BYTES 4096
#define ANSWER_PERIOD_NS 50000000LL

struct prepared {
    char *program;
    char **argv;
    char **envp;
    char *cwd;
    int search;
};

static struct prepared *prepared;
static uint32_t prepared_len, prepared_cap;

static volatile sig_atomic_t stop_requested;
static volatile pid_t running;

/* The answer being built; sent whole with one write. */
static unsigned char *answer;
static size_t answer_len, answer_cap;

static void die(void) { _exit(1); }

static void *grow(void *p, size_t n) {
    void *q = realloc(p, n);
    if (!q) die();
    return q;
}

static void put(const void *bytes, size_t n) {
    if (answer_len + n > answer_cap) {
        answer_cap = (answer_len + n) * 2;
        answer = grow(answer, answer_cap);
    }
    memcpy(answer + answer_len, bytes, n);
    answer_len += n;
}

static void put_u8(uint8_t v) { put(&v, 1); }

static void put_u32(uint32_t v) {
    unsigned char b[4] = {v, v >> 8, v >> 16, v >> 24};
    put(b, 4);
}

static void put_u64(uint64_t v) {
    put_u32((uint32_t)v);
    put_u32((uint32_t)(v >> 32));
}

static void put_bytes(const void *bytes, uint32_t n) {
    put_u32(n);
    put(bytes, n);
}

static void put_message(const char *text) {
    put_u8('E');
    put_bytes(text, (uint32_t)strlen(text));
}

static int flush_answer(void) {
    size_t done = 0;
    while (done < answer_len) {
        ssize_t n = write(1, answer + done, answer_len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    answer_len = 0;
    return 0;
}

/* Standard input, buffered. */
static unsigned char in_buf[1 << 16];
static size_t in_pos, in_len;

static int get(void *out, size_t n) {
    unsigned char *o = out;
    while (n > 0) {
        if (in_pos == in_len) {
            ssize_t r = read(0, in_buf, sizeof in_buf);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return -1;
            in_pos = 0;
            in_len = (size_t)r;
        }
        size_t take = in_len - in_pos < n ? in_len - in_pos : n;
        memcpy(o, in_buf + in_pos, take);
        in_pos += take;
        o += take;
        n -= take;
    }
    return 0;
}

static int get_u32(uint32_t *v) {
    unsigned char b[4];
    if (get(b, 4)) return -1;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

/* A length-prefixed byte string as a NUL-terminated one (perfguard has
 * already refused strings with a NUL inside). */
static char *get_string(void) {
    uint32_t n;
    if (get_u32(&n) || n > (1u << 30)) return NULL;
    char *s = grow(NULL, (size_t)n + 1);
    if (get(s, n)) return NULL;
    s[n] = 0;
    return s;
}

/* A list as a NULL-terminated array, `first` (if any) in front. */
static char **get_list(char *first) {
    uint32_t n;
    if (get_u32(&n) || n > (1u << 24)) return NULL;
    size_t at = first ? 1 : 0;
    char **list = grow(NULL, ((size_t)n + at + 1) * sizeof *list);
    if (first) list[0] = first;
    for (uint32_t i = 0; i < n; i++) {
        if (!(list[at + i] = get_string())) return NULL;
    }
    list[n + at] = NULL;
    return list;
}

static int prepare(void) {
    struct prepared p;
    unsigned char has_cwd;
    if (!(p.program = get_string())) return -1;
    if (!(p.argv = get_list(p.program))) return -1;
    if (!(p.envp = get_list(NULL))) return -1;
    if (get(&has_cwd, 1)) return -1;
    p.cwd = NULL;
    if (has_cwd && !(p.cwd = get_string())) return -1;
    p.search = strchr(p.program, '/') == NULL;
    if (prepared_len == prepared_cap) {
        prepared_cap = prepared_cap ? prepared_cap * 2 : 8;
        prepared = grow(prepared, prepared_cap * sizeof *prepared);
    }
    prepared[prepared_len] = p;
    put_u8('K');
    put_u32(prepared_len++);
    return 0;
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static uint64_t timeval_ns(struct timeval tv) {
    return (uint64_t)tv.tv_sec * 1000000000ULL + (uint64_t)tv.tv_usec * 1000ULL;
}

/* The last TAIL_BYTES of what the failed run wrote to standard error;
 * perfguard keeps its last lines. */
static void put_tail(void) {
    off_t len = lseek(STDERR_FD, 0, SEEK_END);
    if (len <= 0) {
        put_u8(0);
        return;
    }
    off_t from = len > TAIL_BYTES ? len - TAIL_BYTES : 0;
    char buf[TAIL_BYTES];
    ssize_t n = pread(STDERR_FD, buf, (size_t)(len - from), from);
    if (n < 0) n = 0;
    put_u8(1);
    put_bytes(buf, (uint32_t)n);
}

/* One timed run: from just before vfork to just after wait4, as hyperfine
 * times posix_spawn. Returns whether the rounds go on. */
static int run(uint32_t id) {
    if (id >= prepared_len) {
        put_message("no prepared invocation");
        return 0;
    }
    struct prepared *p = &prepared[id];
    /* Drop the previous run's standard error only when there was some. */
    if (lseek(STDERR_FD, 0, SEEK_CUR) > 0) {
        if (ftruncate(STDERR_FD, 0) || lseek(STDERR_FD, 0, SEEK_SET)) {
            put_message("cannot reset the scratch file for standard error");
            return 0;
        }
    }
    /* The child writes why it could not exec here: vfork shares memory. */
    volatile int exec_errno = 0;
    int64_t start = now_ns();
    pid_t pid = vfork();
    if (pid == 0) {
        /* Own process group, so a timeout kills grandchildren too. */
        if (setpgid(0, 0) || dup2(NULL_FD, 0) < 0 || dup2(NULL_FD, 1) < 0 || dup2(STDERR_FD, 2) < 0 ||
            (p->cwd && chdir(p->cwd))) {
            exec_errno = errno ? errno : EIO;
            _exit(127);
        }
        signal(SIGUSR1, SIG_DFL);
        if (p->search) {
            execvpe(p->program, p->argv, p->envp);
        } else {
            execve(p->program, p->argv, p->envp);
        }
        exec_errno = errno ? errno : EIO;
        _exit(127);
    }
    if (pid < 0) {
        put_u8('X');
        put_u32((uint32_t)errno);
        return 0;
    }
    running = pid;
    int status;
    struct rusage usage;
    pid_t waited;
    do {
        waited = wait4(pid, &status, 0, &usage);
    } while (waited < 0 && errno == EINTR);
    int64_t wall = now_ns() - start;
    running = 0;
    if (waited != pid) {
        put_message("cannot wait for the run");
        return 0;
    }
    if (exec_errno) {
        put_u8('X');
        put_u32((uint32_t)exec_errno);
        return 0;
    }
    int success = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    put_u8('M');
    if (WIFSIGNALED(status)) {
        put_u8(1);
        put_u32((uint32_t)WTERMSIG(status));
    } else {
        put_u8(0);
        put_u32((uint32_t)WEXITSTATUS(status));
    }
    put_u64((uint64_t)wall);
    put_u64(timeval_ns(usage.ru_utime));
    put_u64(timeval_ns(usage.ru_stime));
    put_u64((uint64_t)usage.ru_maxrss); /* KiB on Linux */
    if (success) {
        put_u8(0);
    } else {
        put_tail();
    }
    return success;
}

static int rounds(void) {
    uint32_t count, n;
    if (get_u32(&count) || get_u32(&n) || n > (1u << 20)) return -1;
    uint32_t *steps = grow(NULL, ((size_t)n + 1) * sizeof *steps);
    for (uint32_t i = 0; i < n; i++) {
        if (get_u32(&steps[i])) return -1;
    }
    stop_requested = 0;
    /* Answers go out every 50 ms or so: perfguard only needs them for
     * progress, and waking it after every run would cost each run a switch
     * between processes. */
    int64_t sent = now_ns();
    for (uint32_t r = 0; r < count; r++) {
        for (uint32_t i = 0; i < n; i++) {
            if (stop_requested) goto done;
            int go_on = run(steps[i]);
            if (!go_on) goto done;
            if (now_ns() - sent >= ANSWER_PERIOD_NS || answer_len >= (1u << 16)) {
                if (flush_answer()) return -1;
                sent = now_ns();
            }
        }
    }
done:
    free(steps);
    put_u8('D');
    return 0;
}

/* SIGUSR1: perfguard's watchdog asks for the running group to be killed and
 * the rounds stopped (deadline or interrupt). */
static void kill_running(int sig) {
    (void)sig;
    stop_requested = 1;
    pid_t group = running;
    if (group > 0) kill(-group, SIGKILL);
}

int main(void) {
    /* Ends with perfguard, even a perfguard killed mid-phase: no rounds
     * run on for nobody. (Had it ended already, standard input is closed
     * and the first read ends the launcher.) */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = kill_running;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGUSR1, &action, NULL);
    /* The spawner's greeting: perfguard checks it before anything else. */
    put("pgspawn1", 8);
    if (flush_answer()) return 1;
    for (;;) {
        unsigned char tag;
        if (get(&tag, 1)) return 0; /* perfguard closed the pipe: done */
        int failed;
        switch (tag) {
        case 'P': failed = prepare(); break;
        case 'B': failed = rounds(); break;
        default: return 1;
        }
        if (failed || flush_answer()) return 1;
    }
}
