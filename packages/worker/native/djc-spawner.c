/*
 * djc-spawner: the command spawner of packages/worker/src/handlers/
 * spawner-script.ts in C. Same protocol, same replies, same rules (that
 * file's header comment is the spec; the worker talks to either through
 * command-spawner.ts). What differs is only how a command starts: vfork
 * instead of perl's fork. The child shares our memory until it execs: no
 * page-table copy, no copy-on-write faults, no address space to tear down
 * at its exec. Not posix_spawn: glibc's (2.36) leaves its two internal
 * signals (32, 33) ignored in the command it starts, and a command must
 * start with no signal ignored, as from perl or Node; it also makes ~64
 * sigaction calls per start. The child (child() below) makes only system
 * calls (sigprocmask, setsid, chdir, dup2, execve through execvpe, which
 * allocates nothing) and hands exec's errno back in memory (F); we set no
 * signal handler at all, so none can run on the shared stack.
 *
 * Usage: djc-spawner <relay bytes>. Requests on stdin, replies on stdout.
 * Our fds are all close-on-exec: a command gets only 0, 1 and 2. SIGCHLD
 * is blocked here and read from a signalfd; the command gets an empty
 * signal mask and SIGPIPE at its default (as everything: we set no
 * handler). No buffer is of a fixed size a request can overrun: lines,
 * payloads, the environment and replies grow as needed; poll(2), not
 * select(2), so any fd number is fine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- growable arrays and buffers ---- */

static void die(const char *what) {
  fprintf(stderr, "djc-spawner: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void *grow(void *p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return p;
  size_t n = *cap ? *cap : 8;
  while (n < need) {
    if (n > SIZE_MAX / 2 / size) { errno = ENOMEM; die("memory"); }
    n *= 2;
  }
  p = realloc(p, n * size);
  if (!p) die("memory");
  *cap = n;
  return p;
}

static char *dup_(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) die("memory");
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

struct buf { char *p; size_t len, cap; };

static void put(struct buf *b, const char *s, size_t n) {
  if (n > SIZE_MAX - b->len - 1) { errno = ENOMEM; die("memory"); }
  b->p = grow(b->p, &b->cap, b->len + n + 1, 1);
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void putf(struct buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) die("format");
  b->p = grow(b->p, &b->cap, b->len + (size_t)n + 1, 1);
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* ---- state ---- */

/* A running command (kids), an output we relay (relay), a pipe the worker opens (holds), a start not said yet (unsaid). */
struct kid { pid_t pid; char *id; };
struct relay { int fd; char *id; int stream; unsigned long long bytes; };
struct hold { int fd; char *id; };
struct unsaid { char *id; unsigned long turn; char *line; };
/* A request waiting for the commands before it to exit (Q): its payload and its stdin input (has_input). */
struct queued { char *id; char *payload; size_t plen; char *input; size_t ilen; int has_input; };

static struct kid *kids; static size_t nkids, capkids;
static struct relay *relays; static size_t nrelays, caprelays;
static struct hold *holds; static size_t nholds, capholds;
static struct unsaid *unsaids; static size_t nunsaid, capunsaid;
static struct queued *queue; static size_t nqueue, capqueue;
/* The environment of the next command: KEY=VALUE strings, NULL-terminated (the last command's, changed by each request). */
static char **env; static size_t nenv, capenv;

static struct buf out;
static struct buf in;
static size_t in_at;
static unsigned long turn;
static unsigned long long relay_max;
static long long child_cpu_us;
static int devnull, chld_fd;
static long hz;
/* The errno of a child that could not start, written by the child (it shares our memory until its exec or _exit). */
static volatile int child_errno;
static char rbuf[65536];

static int same_id(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* ---- the environment ---- */

static ssize_t env_find(const char *name, size_t n) {
  for (size_t i = 0; i < nenv; i++)
    if (strncmp(env[i], name, n) == 0 && env[i][n] == '=') return (ssize_t)i;
  return -1;
}

static void env_del(size_t i) {
  free(env[i]);
  env[i] = env[--nenv];
  env[nenv] = NULL;
}

/* One change, as spawner-script.ts's setenv_: KEY=VALUE sets, KEY unsets, '' clears, "=…" is ignored. */
static void env_change(const char *e) {
  const char *eq = strchr(e, '=');
  if (*e == '\0') {
    while (nenv) env_del(nenv - 1);
  } else if (!eq) {
    ssize_t i = env_find(e, strlen(e));
    if (i >= 0) env_del((size_t)i);
  } else if (eq > e) {
    ssize_t i = env_find(e, (size_t)(eq - e));
    char *s = dup_(e, strlen(e));
    if (i >= 0) {
      free(env[i]);
      env[i] = s;
    } else {
      env = grow(env, &capenv, nenv + 2, sizeof *env);
      env[nenv++] = s;
      env[nenv] = NULL;
    }
  }
}

/* ---- replies ---- */

static void unsaid_take(size_t i) {
  put(&out, unsaids[i].line, strlen(unsaids[i].line));
  free(unsaids[i].id);
  free(unsaids[i].line);
  unsaids[i] = unsaids[--nunsaid];
}

/* A start is said with the first other reply about its command, or a turn of the loop later (at most 2 ms). */
static void announce(const char *id) {
  for (size_t i = 0; i < nunsaid; i++)
    if (same_id(unsaids[i].id, id)) return unsaid_take(i);
}

static void flush_(void) {
  size_t o = 0;
  while (o < out.len) {
    ssize_t n = write(1, out.p + o, out.len - o);
    if (n < 0) {
      if (errno == EINTR) continue;
      exit(0);
    }
    o += (size_t)n;
  }
  out.len = 0;
}

/* ---- relayed outputs ---- */

static ssize_t relay_find(int fd) {
  for (size_t i = 0; i < nrelays; i++)
    if (relays[i].fd == fd) return (ssize_t)i;
  return -1;
}

static void relay_del(size_t i) {
  free(relays[i].id);
  relays[i] = relays[--nrelays];
}

static void hold_add(const char *id, int fd) {
  holds = grow(holds, &capholds, nholds + 1, sizeof *holds);
  holds[nholds++] = (struct hold){ fd, dup_(id, strlen(id)) };
}

/* One read of a relayed output: its bytes as D, its EOF as C; past relay_max its pipe is handed to the worker (H) and held until its O. */
static void pump(int fd) {
  ssize_t i = relay_find(fd);
  if (i < 0) return;
  announce(relays[i].id);
  ssize_t n = read(fd, rbuf, sizeof rbuf);
  if (n < 0 && errno == EINTR) return;
  struct relay *r = &relays[i];
  if (n <= 0) {
    putf(&out, "C %s %d\n", r->id, r->stream);
    close(fd);
    relay_del((size_t)i);
    return;
  }
  putf(&out, "D %s %d %zd\n", r->id, r->stream, n);
  put(&out, rbuf, (size_t)n);
  if ((r->bytes += (unsigned long long)n) < relay_max) return;
  putf(&out, "H %s %d %d\n", r->id, r->stream, fd);
  hold_add(r->id, fd);
  relay_del((size_t)i);
}

/* What a command's outputs hold now (before its exit is said): read while poll says they are readable, so no read blocks. */
static void drain(const char *id) {
  for (size_t i = 0; i < nrelays;) {
    if (!same_id(relays[i].id, id)) { i++; continue; }
    int fd = relays[i].fd;
    struct pollfd p = { fd, POLLIN, 0 };
    while (relay_find(fd) >= 0 && poll(&p, 1, 0) > 0) pump(fd);
    /* Handed over or closed: the entry moved, look again from the start; else the next. */
    if (relay_find(fd) >= 0) i++;
    else i = 0;
  }
}

/* ---- starting commands ---- */

static long long cpu_now(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_CHILDREN, &ru) < 0) return child_cpu_us;
  return (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* Clock ticks since boot (the unit of /proc/<pid>/stat's start time) from CLOCK_BOOTTIME: a lower bound of the command's start; -1 if unread. */
static long long boot_ticks(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0) return -1;
  return (long long)ts.tv_sec * hz + ts.tv_nsec / (1000000000L / hz);
}

static void close_all(const int *fds, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0) close(fds[i]);
}

/* Split a payload (NUL-separated, trailing empty fields kept; it ends in a NUL of its own) in place: *n fields, then NULL. */
static char **fields(char *p, size_t len, size_t *n) {
  static char **f; static size_t cap;
  size_t k = 0;
  for (size_t at = 0;;) {
    f = grow(f, &cap, k + 2, sizeof *f);
    f[k++] = p + at;
    char *z = memchr(p + at, '\0', len - at);
    if (!z || (size_t)(z - p) >= len) break;
    at = (size_t)(z - p) + 1;
  }
  f[k] = NULL;
  *n = k;
  return f;
}

/* The fields' argc (field 2), bounded by what is there. */
static size_t argc_of(char **f, size_t n) {
  if (n < 3) return 0;
  unsigned long long a = strtoull(f[2], NULL, 10);
  return a > n - 3 ? n - 3 : (size_t)a;
}

/* Without a shell, PWD as dash sets it at start-up: the inherited PWD if it names cwd, else cwd's physical path. A new environment array (its PWD entry malloc'ed: *own). */
static char **direct_env(const char *cwd, char **own) {
  struct stat d, p;
  ssize_t i = env_find("PWD", 3);
  const char *pwd = i >= 0 ? env[i] + 4 : NULL;
  *own = NULL;
  if (pwd && pwd[0] == '/' && stat(cwd, &d) == 0 && stat(pwd, &p) == 0 && d.st_dev == p.st_dev && d.st_ino == p.st_ino) return env;
  char *phys = realpath(cwd, NULL);
  if (!phys && !pwd) return env;
  const char *v = phys ? phys : pwd;
  size_t n = strlen(v);
  *own = malloc(n + 5);
  if (!*own) die("memory");
  memcpy(*own, "PWD=", 4);
  memcpy(*own + 4, v, n + 1);
  free(phys);
  char **e = malloc((nenv + 2) * sizeof *e);
  if (!e) die("memory");
  memcpy(e, env, nenv * sizeof *e);
  size_t k = nenv;
  if (i >= 0) e[i] = *own;
  else e[k++] = *own;
  e[k] = NULL;
  return e;
}

/* What the child is to do between vfork and exec. */
struct child_args { const char *cwd; int in, out, err; char **argv, **envp; };

/*
 * The vfork child: runs on our memory and stack until it execs, so only
 * system calls (glibc's thin wrappers) and no return. With no signal
 * blocked (SIGCHLD is blocked here for the signalfd), leading a new
 * session and process group, in cwd, fds 0, 1 and 2 its own (the rest are
 * close-on-exec); a name without "/" looked up on the PATH of environ,
 * which the parent pointed at the command's environment, as perl's execvp
 * did in its child (ENOEXEC: run by /bin/sh, as there).
 */
__attribute__((noreturn, noinline)) static void child(const struct child_args *a) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  setsid();
  if (chdir(a->cwd) == 0 && dup2(a->in, 0) == 0 && dup2(a->out, 1) == 1 && dup2(a->err, 2) == 2) execvpe(a->argv[0], a->argv, a->envp);
  child_errno = errno ? errno : EIO;
  _exit(127);
}

/* Starts a child (vfork, then child()): its pid, or -1; *err: why it could not start (0: it exec'd). Alone, so no local of start() lives across the vfork. */
__attribute__((noinline)) static pid_t spawn_(const struct child_args *a, int *err) {
  child_errno = 0;
  pid_t pid = vfork();
  if (pid == 0) child(a);
  *err = pid < 0 ? errno : child_errno;
  return pid;
}

/* Could not start (before the spawn, or the spawn failed): our ends closed, its errno said. */
static void fail_start(const char *id, int err, const int *fds, size_t n) {
  close_all(fds, n);
  putf(&out, "F %s %d\n", id, err ? err : EIO);
}

static void start(const char *id, char *payload, size_t plen, const char *input, size_t ilen, int has_input) {
  size_t nf;
  char **f = fields(payload, plen, &nf);
  size_t argc = argc_of(f, nf);
  /* The environment changes first, before any early return, so the worker's copy of it stays right. */
  for (size_t i = 3 + argc; i < nf; i++) env_change(f[i]);
  if (nf < 3 || argc == 0) return fail_start(id, ENOENT, NULL, 0);
  const char *cwd = f[0], *mode = f[1];
  int pipe_in = mode[0] != 'n', direct = mode[0] && strchr(mode + 1, 'd') != NULL;
  /* in_r, in_w, out_r, out_w, err_r, err_w */
  int p[6] = { -1, -1, -1, -1, -1, -1 };
  if (pipe_in && pipe2(p, O_CLOEXEC) < 0) return fail_start(id, errno, p, 6);
  /* The whole stdin came with the request: into the pipe now (at most a page: a fresh pipe takes it), our end closed, so the command reads it, then EOF. */
  if (has_input) {
    size_t o = 0;
    while (o < ilen) {
      ssize_t n = write(p[1], input + o, ilen - o);
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail_start(id, errno, p, 6);
      }
      o += (size_t)n;
    }
    close(p[1]);
    p[1] = -1;
  }
  if (pipe2(p + 2, O_CLOEXEC) < 0 || pipe2(p + 4, O_CLOEXEC) < 0) return fail_start(id, errno, p, 6);
  /* argv ends in NULL: in place of the first environment change (applied above), or the NULL after the last field. */
  char **argv = f + 3;
  argv[argc] = NULL;
  char *own = NULL;
  char **cenv = direct ? direct_env(cwd, &own) : env;
  struct child_args ca = { cwd, pipe_in ? p[0] : devnull, p[3], p[5], argv, cenv };
  long long start_ticks = boot_ticks();
  char **was = environ;
  environ = cenv;
  int err;
  pid_t pid = spawn_(&ca, &err);
  environ = was;
  if (cenv != env) free(cenv);
  free(own);
  close(p[3]);
  close(p[5]);
  if (p[0] >= 0) close(p[0]);
  p[0] = p[3] = p[5] = -1;
  if (err) {
    /* The child that could not exec is reaped now, and its CPU is not the next command's. */
    if (pid > 0)
      while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    child_cpu_us = cpu_now();
    return fail_start(id, err, p, 6);
  }
  kids = grow(kids, &capkids, nkids + 1, sizeof *kids);
  kids[nkids++] = (struct kid){ pid, dup_(id, strlen(id)) };
  if (p[1] >= 0) hold_add(id, p[1]);
  relays = grow(relays, &caprelays, nrelays + 2, sizeof *relays);
  relays[nrelays++] = (struct relay){ p[2], dup_(id, strlen(id)), 1, 0 };
  relays[nrelays++] = (struct relay){ p[4], dup_(id, strlen(id)), 2, 0 };
  struct buf line = { 0 };
  putf(&line, "S %s %d %d %d %d %lld r\n", id, (int)pid, p[1], p[2], p[4], start_ticks);
  unsaids = grow(unsaids, &capunsaid, nunsaid + 1, sizeof *unsaids);
  unsaids[nunsaid++] = (struct unsaid){ dup_(id, strlen(id)), turn, line.p };
  /* A stdin pipe waits for the worker: said now. */
  if (p[1] >= 0) announce(id);
}

static void free_queued(struct queued *q) {
  free(q->id);
  free(q->payload);
  free(q->input);
}

/* Reaps what exited (E, after its start and what its outputs hold); then the queued commands start, once none runs. */
static void reap(void) {
  int st;
  pid_t pid;
  while (nkids && (pid = waitpid(-1, &st, WNOHANG)) > 0) {
    long long c = cpu_now();
    long long ms = (c - child_cpu_us + 500) / 1000;
    child_cpu_us = c;
    char *id = NULL;
    for (size_t i = 0; i < nkids; i++)
      if (kids[i].pid == pid) {
        id = kids[i].id;
        kids[i] = kids[--nkids];
        break;
      }
    if (!id) continue;
    announce(id);
    drain(id);
    /* Whether its process group still has members (zombies count; EPERM: one we may not signal): if not, the worker need not kill it. */
    int group = kill(-pid, 0) == 0 || errno == EPERM;
    putf(&out, "E %s %d %lld %d\n", id, st, ms, group);
    free(id);
  }
  while (nqueue && !nkids) {
    struct queued q = queue[0];
    memmove(queue, queue + 1, --nqueue * sizeof *queue);
    start(q.id, q.payload, q.plen, q.input, q.ilen, q.has_input);
    announce(q.id);
    free_queued(&q);
  }
}

/* ---- requests ---- */

static char *word(char **s) {
  char *w = *s;
  if (!w) return NULL;
  char *sp = strchr(w, ' ');
  if (sp) {
    *sp = '\0';
    *s = sp + 1;
  } else {
    *s = NULL;
  }
  return w;
}

/* O: let go of our ends of <id>'s pipes the worker opened, or of outputs it is done with. */
static void let_go(const char *id, char *rest) {
  char *w;
  while ((w = word(&rest))) {
    char *end;
    long fd = strtol(w, &end, 10);
    if (end == w || fd < 0 || fd > INT_MAX) continue;
    for (size_t i = 0; i < nholds; i++)
      if (holds[i].fd == fd && same_id(holds[i].id, id)) {
        close((int)fd);
        free(holds[i].id);
        holds[i] = holds[--nholds];
        break;
      }
    ssize_t r = relay_find((int)fd);
    if (r >= 0 && same_id(relays[r].id, id)) {
      close((int)fd);
      relay_del((size_t)r);
    }
  }
}

/* X: drop queued <id> before its turn; its environment changes still apply (the next requests' are made on them). */
static void drop(const char *id) {
  for (size_t i = 0; i < nqueue; i++) {
    if (!same_id(queue[i].id, id)) continue;
    struct queued q = queue[i];
    memmove(queue + i, queue + i + 1, (--nqueue - i) * sizeof *queue);
    size_t nf;
    char **f = fields(q.payload, q.plen, &nf);
    for (size_t k = 3 + argc_of(f, nf); k < nf; k++) env_change(f[k]);
    putf(&out, "X %s\n", id);
    free_queued(&q);
    return;
  }
}

static unsigned long long num(const char *s) { return s ? strtoull(s, NULL, 10) : 0; }

static void handle(void) {
  for (;;) {
    char *base = in.p + in_at;
    size_t avail = in.len - in_at;
    char *nl = memchr(base, '\n', avail);
    if (!nl) break;
    size_t ll = (size_t)(nl - base);
    char *line = dup_(base, ll);
    char *rest = line;
    char *op = word(&rest), *id = word(&rest);
    if (!id) id = "";
    if (op[0] == 'O' && op[1] == '\0') {
      in_at += ll + 1;
      let_go(id, rest);
      free(line);
      continue;
    }
    if (op[0] == 'X' && op[1] == '\0') {
      in_at += ll + 1;
      drop(id);
      free(line);
      continue;
    }
    char *lenw = word(&rest), *inlenw = word(&rest);
    unsigned long long len = num(lenw), ilen = num(inlenw);
    if (len > SIZE_MAX / 4 || ilen > SIZE_MAX / 4 || avail - ll - 1 < len + ilen) {
      free(line);
      break;
    }
    char *payload = dup_(base + ll + 1, len);
    char *input = inlenw ? dup_(base + ll + 1 + len, ilen) : NULL;
    in_at += ll + 1 + len + ilen;
    /* Q: started once every command running now and every one queued before it has exited (reap); anything behind a queued one waits its turn too. */
    if (nqueue || (op[0] == 'Q' && nkids)) {
      queue = grow(queue, &capqueue, nqueue + 1, sizeof *queue);
      queue[nqueue++] = (struct queued){ dup_(id, strlen(id)), payload, len, input, ilen, inlenw != NULL };
    } else {
      start(id, payload, len, input, ilen, inlenw != NULL);
      free(payload);
      free(input);
    }
    free(line);
  }
  /* What was handled goes; what is left (a partial request) moves to the front. */
  if (in_at) {
    memmove(in.p, in.p + in_at, in.len - in_at);
    in.len -= in_at;
    in_at = 0;
  }
}

int main(int argc, char **argv) {
  relay_max = argc > 1 ? strtoull(argv[1], NULL, 10) : 65536;
  env = grow(NULL, &capenv, 1, sizeof *env);
  env[0] = NULL;
  hz = sysconf(_SC_CLK_TCK);
  if (hz <= 0) hz = 100;
  signal(SIGPIPE, SIG_DFL);
  /* Only 0, 1 and 2 reach a command: anything else we were given is close-on-exec (CLOSE_RANGE_CLOEXEC, Linux 5.11; elsewhere all we open is). */
#ifdef SYS_close_range
  syscall(SYS_close_range, 3U, ~0U, 4U);
#endif
  devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) die("/dev/null");
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0) die("sigprocmask");
  chld_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (chld_fd < 0) die("signalfd");
  child_cpu_us = cpu_now();
  put(&out, "R\n", 2);
  struct pollfd *pf = NULL;
  size_t cappf = 0;
  int chld_seen = 0;
  for (;;) {
    turn++;
    if (chld_seen) {
      chld_seen = 0;
      reap();
    }
    for (size_t i = 0; i < nunsaid;) {
      if (unsaids[i].turn + 1 < turn) unsaid_take(i);
      else i++;
    }
    flush_();
    pf = grow(pf, &cappf, nrelays + 2, sizeof *pf);
    pf[0] = (struct pollfd){ 0, POLLIN, 0 };
    pf[1] = (struct pollfd){ chld_fd, POLLIN, 0 };
    size_t np = 2;
    for (size_t i = 0; i < nrelays; i++) pf[np++] = (struct pollfd){ relays[i].fd, POLLIN, 0 };
    int n = poll(pf, np, nunsaid ? 2 : nkids ? 1000 : -1);
    if (n <= 0) continue;
    if (pf[1].revents) {
      struct signalfd_siginfo si[8];
      while (read(chld_fd, si, sizeof si) > 0) {}
      chld_seen = 1;
    }
    for (size_t i = 2; i < np; i++)
      if (pf[i].revents) pump(pf[i].fd);
    if (!pf[0].revents) continue;
    in.p = grow(in.p, &in.cap, in.len + 65536 + 1, 1);
    ssize_t r = read(0, in.p + in.len, 65536);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      exit(0);
    }
    if (r == 0) {
      flush_();
      exit(0);
    }
    in.len += (size_t)r;
    handle();
  }
}
