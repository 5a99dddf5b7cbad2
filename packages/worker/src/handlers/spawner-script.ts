/**
 * The perl side of the command spawner (command-spawner.ts): a small,
 * long-lived process per worker that forks and execs command handlers so the
 * Node worker does not. A fork copies the page tables of the process that
 * forks: perl's are tiny, the worker's grow with its heap. Only modules of
 * perl-base (Essential on Debian) are used.
 *
 * Requests on stdin, one per line:
 *   `S <id> <len> [<inlen>]` then <len> bytes: cwd, mode (stdin: "p" pipe,
 *     "n" /dev/null, "i" a pipe holding the <inlen> bytes that follow the
 *     payload, closed after them; then "d" for a command exec'd without a
 *     shell: its PWD is set as dash sets it), argc, argv…, then the
 *     environment as changes to the last command's, NUL-separated: KEY=VALUE
 *     sets, KEY (no "=") unsets, an empty entry clears it all (the first
 *     request starts with one). "i" input is at most one page
 *     (PIPE_BUF): a fresh pipe takes it whole, so the write never blocks.
 *   `Q <id> <len> [<inlen>]`: as `S`, but started once the commands running
 *     now have exited (reap), in the order of the requests: the worker's
 *     next attempts at concurrency 1, sent ahead of their turn. A request
 *     that comes while one is queued waits behind it too (the environment
 *     changes apply in order). Its `S` goes out with the `E` before it.
 *   `X <id>`: drop queued <id> if it has not started: its environment
 *     changes still apply (the next requests' are made on them); replies
 *     `X <id>`. Too late (started): ignored, its `S` comes as usual.
 *   `O <id> <fd>…`: the worker has opened those pipes of <id> (a stdin
 *     write end, an output pipe handed over), or is done with an output we
 *     relay: let go of our ends. It may come late (with a later request):
 *     only a stdin pipe's write end, which holds the command's EOF back,
 *     must be let go of at once.
 * Replies on stdout, one per line:
 *   `R` once ready;
 *   `S <id> <pid> <stdin fd|-1> <stdout fd> <stderr fd> <start> r`: started
 *     (exec'd); the worker opens the stdin fd of ours through
 *     /proc/<our pid>/fd/; <start> is a lower bound of the command's start
 *     time (clock ticks since boot, as field 22 of /proc/<pid>/stat): the
 *     CLOCK_BOOTTIME read just before the fork, or that field read after it
 *     where the worker passed no clock_gettime number (-1 if unread); for
 *     the attempt's scope (attempt-scope.ts). Said with the first other
 *     reply about the command (its output, its exit), or after one more turn of the loop
 *     (at most $unsaid_s, 2 ms): a short command's start and exit wake the
 *     worker once; at once when the worker is to write its stdin.
 *     The output pipes stay ours ("r": relayed): what
 *     the command writes comes in `D` frames, its EOF as `C`, until a
 *     stream passed RELAY_BYTES, then its pipe is handed over (`H`);
 *   `D <id> <1|2> <len>` then <len> bytes: the command wrote them to its
 *     stdout (1) or stderr (2);
 *   `C <id> <1|2>`: that output reached EOF (we closed our end);
 *   `H <id> <1|2> <fd>`: that output passed RELAY_BYTES: the worker opens
 *     our fd through /proc/<our pid>/fd/ and reads the rest itself, and
 *     says `O` (we read no more of it);
 *   `F <id> <errno>`: could not start (chdir or exec failed);
 *   `X <id>`: queued <id> was dropped, never started;
 *   `E <id> <wait status> <cpu ms> <group>`: exited, with the CPU it and the
 *     children it reaped used (times(2) around its waitpid); <group> 0 when
 *     its process group had no member left as it was reaped (nothing to kill), else 1.
 *     What its outputs held by then comes before it (and their EOF, when
 *     nothing else holds them).
 * Replies are buffered and written once per turn of the loop, before it waits.
 * The child calls setsid (leads a new session and process group) before
 * exec, as a `detached` Node spawn does.
 *
 * The spawner is kept small, for every fork copies its page tables and
 * every exec in the child tears them down again: no module is loaded where
 * the worker passes the numbers of the setsid and dup3 system calls for
 * this machine (@ARGV: spawnerSyscalls); elsewhere POSIX (~1.6 MiB more of
 * perl's own memory) is loaded for them. Where it also passes those of
 * pipe2, read, write, close, clock_gettime, rt_sigprocmask and signalfd4,
 * a command's pipes are plain fds (no Perl handle: 6 system calls fewer per
 * pipe), its start time comes from the clock (no read of /proc) and its
 * exit from a signalfd (no signal handler). The child does as little as it
 * can between fork and exec (each page it touches is copied or mapped). The spawner's own environment is
 * the last command's (set before the fork, kept for the next); it uses none of it. On EOF on stdin the spawner exits;
 * running commands go on, reparented, as they would after a worker's exit.
 */
export const SPAWNER_SCRIPT = String.raw`
use strict; use warnings;
$0 = 'djc-spawner';
binmode(STDIN); binmode(STDOUT);
# Commands get SIGPIPE as it should be (the child sets no signal of its own); a write to a worker that is gone ends us as the EPIPE did.
$SIG{PIPE} = 'DEFAULT';
# setsid and dup3 as system calls by number when the worker knows them for this machine, else through POSIX (loaded only then).
# First the bytes of an output relayed before its pipe is handed over (RELAY_BYTES).
my ($relay_max, $nr_setsid, $nr_dup3, $nr_pipe2, $nr_read, $nr_write, $nr_close, $nr_clock, $nr_sigmask, $nr_signalfd) = @ARGV;
my $posix = !($nr_setsid && $nr_dup3);
require POSIX if $posix;
sub setsid_ { return $posix ? POSIX::setsid() : syscall($nr_setsid) >= 0 }
sub dup2_ { my ($old, $new) = @_; return $posix ? defined POSIX::dup2($old, $new) : syscall($nr_dup3, $old + 0, $new + 0, 0) >= 0 }
# A command's pipes are plain fds, made, read, written and closed by system call where the worker passed the numbers:
# a Perl handle costs 6 more system calls to set up (fcntl, ioctl and lseek of each end) and memory that every fork then copies.
# Elsewhere they are Perl handles, kept in %fh by fd. (syscall passes a number as a number, a string as a pointer to it.)
my $raw = defined $nr_close && $nr_close ne '';
my %fh;
my $rbuf = "\0" x 65536;
# Two fds (read end, write end), close-on-exec; none on failure ($! says why).
sub pipe_ {
  if ($raw) { my $b = "\0" x 8; return if syscall($nr_pipe2, $b, 0x80000) < 0; return unpack('i2', $b) } # O_CLOEXEC
  pipe(my $r, my $w) or return;
  $fh{fileno $r} = $r; $fh{fileno $w} = $w; return (fileno($r), fileno($w));
}
sub close_ { my ($fd) = @_; if ($raw) { syscall($nr_close, $fd + 0) } else { close(delete $fh{$fd}) } return }
# At most <len> bytes of <fd> (at most 65536); '' at EOF, undef on error.
sub read_ {
  my ($fd, $len) = @_;
  if ($raw) { my $n = syscall($nr_read, $fd + 0, $rbuf, $len + 0); return $n < 0 ? undef : substr($rbuf, 0, $n) }
  my $b = ''; return defined sysread($fh{$fd}, $b, $len) ? $b : undef;
}
sub write_ { my ($fd, $s) = @_; if ($raw) { my $n = syscall($nr_write, $fd + 0, $s, length $s); return $n < 0 ? undef : $n } return syswrite($fh{$fd}, $s) }
# Clock ticks since boot (USER_HZ, 100: the unit of /proc/<pid>/stat's start time), from CLOCK_BOOTTIME (7); -1 where the worker passed no number.
my $ts = "\0" x 16;
sub boot_ticks {
  return -1 if !defined $nr_clock || $nr_clock eq '' || syscall($nr_clock, 7, $ts) < 0;
  my ($s, $ns) = unpack('q2', $ts); return $s * 100 + int($ns / 10_000_000);
}
my (%kids, %holds, %relay, %unsaid, @queued);
my $turn = 0;
my $out = '';
# How long a start may wait to be said with the command's exit (seconds).
my $unsaid_s = 0.002;
my $in = '';
my $child_cpu = 0;
open(my $devnull, '<', '/dev/null') or die "djc-spawner: /dev/null: $!";
# A child's exit wakes the select below through $chld_fd, and the next turn of the loop reaps ($chld): a SIGCHLD that came
# between reap() and select() would otherwise be lost, and the exit seen only at select's timeout (most short commands, at load).
# Where the worker passed the numbers, SIGCHLD is blocked and read from a signalfd (no handler: no signal frame, no
# sigprocmask around Perl's call of it, no self-pipe write; the child unblocks it before its exec). Elsewhere the self-pipe
# trick: the handler writes one byte at a time ($woke), so the pipe never fills and its write never blocks.
my $chld = 0;
my ($chld_fd, $chld_mask, $wake_r, $wake_w);
my $woke = 0;
if ($raw && defined $nr_signalfd && $nr_signalfd ne '') {
  $chld_mask = pack('Q', 1 << 16); # SIGCHLD (17)
  syscall($nr_sigmask, 0, $chld_mask, undef, 8) >= 0 or die "djc-spawner: sigprocmask: $!"; # SIG_BLOCK
  $chld_fd = syscall($nr_signalfd, -1, $chld_mask, 8, 0x80800); # SFD_CLOEXEC | SFD_NONBLOCK
  die "djc-spawner: signalfd: $!" if $chld_fd < 0;
} else {
  pipe($wake_r, $wake_w) or die "djc-spawner: pipe: $!";
  $chld_fd = fileno($wake_r);
  $SIG{CHLD} = sub { $chld = 1; syswrite($wake_w, 'c') unless $woke++ };
}
sub say_ { $out .= join(' ', @_) . "\n"; return }
# A start is said at the first reply about the command, or a turn of the loop later (at most UNSAID_S): a short command's start and exit go in one write, one wake-up of the worker.
sub announce { my $u = delete $unsaid{$_[0]}; $out .= $u->[1] if $u }
sub flush_ { my $o = 0; while ($o < length $out) { my $n = syswrite(STDOUT, $out, length($out) - $o, $o); if (!defined $n) { next if $!{EINTR}; exit 0 } $o += $n } $out = '' }
# One read of a relayed output: its bytes as a D frame, its EOF as C; past $relay_max its pipe is handed to the worker (H), and kept until its O.
sub pump {
  my ($fd) = @_; my $r = $relay{$fd}; announce($r->[0]);
  my $b = read_($fd, 65536);
  return if !defined $b && $!{EINTR};
  if (!defined $b || $b eq '') { say_('C', $r->[0], $r->[1]); close_($fd); delete $relay{$fd}; return }
  my $n = length $b;
  $out .= "D $r->[0] $r->[1] $n\n" . $b;
  return if ($r->[2] += $n) < $relay_max;
  say_('H', $r->[0], $r->[1], $fd); $holds{$r->[0]}{$fd} = 1; delete $relay{$fd};
}
# What a command's outputs hold now (before its exit is said): read while select says they are readable (so no read blocks).
sub drain {
  my ($id) = @_;
  for my $fd (grep { $relay{$_}[0] eq $id } keys %relay) {
    while ($relay{$fd}) { my $v = ''; vec($v, $fd, 1) = 1; last unless select($v, undef, undef, 0) > 0; pump($fd) }
  }
}
sub cpu_now { my @t = times(); return $t[2] + $t[3] }
sub reap {
  while (%kids && (my $pid = waitpid(-1, 1)) > 0) { # 1: WNOHANG
    my $st = $?; my $c = cpu_now(); my $ms = int(($c - $child_cpu) * 1000 + 0.5); $child_cpu = $c;
    my $id = delete $kids{$pid};
    if (defined $id) { announce($id); drain($id) }
    # Whether its process group still has members (zombies count; EPERM: one we may not signal): if not, the worker need not kill it.
    say_('E', $id, $st, $ms, (kill(0, -$pid) || $!{EPERM}) ? 1 : 0) if defined $id;
  }
  # The next queued command starts now, without a round trip to the worker; its start is said with the exit before it (one write, one wake-up).
  while (@queued && !%kids) { my $q = shift @queued; start(@$q); announce($q->[0]) }
}
sub start_of {
  my ($pid) = @_; my $t = '';
  sysopen(my $f, "/proc/$pid/stat", 0) or return -1;
  sysread($f, $t, 4096); close $f;
  my $i = rindex($t, ')'); return -1 if $i < 0;
  my @f = split / /, substr($t, $i + 2);
  return defined $f[19] && $f[19] =~ /^\d+$/ ? $f[19] : -1;
}
# In the child, when it cannot start the command: the errno to the parent, then gone at once (no END blocks, no buffers flushed).
sub fail_child { my ($x_w) = @_; my $e = ($! + 0) || 5; write_($x_w, "$e"); kill 'KILL', $$; exit 127 }
# A start that failed before the fork (or the fork did): our ends closed, its errno said.
sub fail_start { my $id = shift; my $e = $! + 0; close_($_) for grep { defined } @_; return say_('F', $id, $e) }
# Environment changes (KEY=VALUE sets, KEY unsets, '' clears), in the order the worker sent them.
sub setenv_ {
  for (@_) {
    my $i = index($_, '=');
    if ($i > 0) { $ENV{substr($_, 0, $i)} = substr($_, $i + 1) }
    elsif ($_ eq '') { %ENV = () }
    elsif ($i < 0) { delete $ENV{$_} }
  }
}
sub start {
  my ($id, $payload, $input) = @_;
  my @f = split /\0/, $payload, -1;
  my ($cwd, $mode, $argc) = splice(@f, 0, 3);
  my @argv = splice(@f, 0, $argc);
  # The command's environment is set here, not in the child: the child's writes would copy perl's pages (copy on write) just before exec drops them.
  # Only what differs from the last command's (setting ~45 entries anew cost ~0.1 ms per command); first, before any early return, so the worker's copy stays right.
  setenv_(@f);
  my ($in_r, $in_w, $out_r, $out_w, $err_r, $err_w, $x_r, $x_w);
  my $pipe_in = substr($mode, 0, 1) ne 'n';
  my $direct = index($mode, 'd') > 0;
  if ($pipe_in) { ($in_r, $in_w) = pipe_() or return fail_start($id) }
  # The whole stdin came with the request: into the pipe now, and our write end closed, so the command reads it, then EOF.
  if (defined $input) {
    my $o = 0;
    while ($o < length $input) { my $n = write_($in_w, $o ? substr($input, $o) : $input); if (!defined $n) { next if $!{EINTR}; return fail_start($id, $in_r, $in_w) } $o += $n }
    close_($in_w); undef $in_w;
  }
  ($out_r, $out_w) = pipe_() or return fail_start($id, $in_r, $in_w);
  ($err_r, $err_w) = pipe_() or return fail_start($id, $in_r, $in_w, $out_r, $out_w);
  ($x_r, $x_w) = pipe_() or return fail_start($id, $in_r, $in_w, $out_r, $out_w, $err_r, $err_w);
  my $in_fd = $pipe_in ? $in_r : fileno($devnull);
  # The command's start (for the attempt's scope, attempt-scope.ts): the clock read before the fork is a lower bound of what
  # /proc/<pid>/stat will say, and costs one system call where the read of /proc costs six and a path walk.
  my $start = boot_ticks();
  my $pid = fork();
  return fail_start($id, $in_r, $in_w, $out_r, $out_w, $err_r, $err_w, $x_r, $x_w) unless defined $pid;
  if ($pid == 0) {
    # Our fds are close-on-exec: only 0, 1 and 2 reach the command. A caught SIGCHLD is reset by exec; a blocked one is unblocked (SIG_UNBLOCK).
    syscall($nr_sigmask, 1, $chld_mask, undef, 8) if defined $chld_mask;
    setsid_();
    chdir($cwd) or fail_child($x_w);
    # Without a shell, PWD as dash sets it at start-up: the inherited PWD if it names this directory, else its physical path.
    if ($direct) { my @d = stat('.'); my $p = $ENV{PWD}; my @p = defined $p && substr($p, 0, 1) eq '/' ? stat($p) : (); $ENV{PWD} = (@p && @d && $p[0] == $d[0] && $p[1] == $d[1]) ? $p : (physical_cwd() // $p) }
    dup2_($in_fd, 0) or fail_child($x_w);
    dup2_($out_w, 1) or fail_child($x_w);
    dup2_($err_w, 2) or fail_child($x_w);
    { no warnings; exec { $argv[0] } @argv; }
    fail_child($x_w);
  }
  # Only then the rest: until the child has exec'd, every page we write is copied for it.
  close_($x_w);
  my $err; 1 while !defined($err = read_($x_r, 16)) && $!{EINTR};
  close_($x_r); close_($out_w); close_($err_w); close_($in_r) if defined $in_r;
  if (defined $err && length $err) {
    1 while waitpid($pid, 0) < 0 && $!{EINTR};
    $child_cpu = cpu_now();
    close_($_) for grep { defined } $in_w, $out_r, $err_r;
    return say_('F', $id, $err);
  }
  $kids{$pid} = $id;
  $holds{$id}{$in_w} = 1 if defined $in_w;
  $relay{$out_r} = [$id, 1, 0];
  $relay{$err_r} = [$id, 2, 0];
  $unsaid{$id} = [$turn, join(' ', 'S', $id, $pid, $in_w // -1, $out_r, $err_r, $start >= 0 ? $start : start_of($pid), 'r') . "\n"];
  # A stdin pipe waits for the worker: said now.
  announce($id) if defined $in_w;
}
# getcwd(3) as dash calls it: the kernel's name of the directory, unless it was removed (then POSIX says so, as getcwd would).
sub physical_cwd {
  my $p = readlink('/proc/self/cwd');
  return $p if defined $p && substr($p, 0, 1) eq '/' && $p !~ / \(deleted\)$/;
  require POSIX; return POSIX::getcwd();
}
sub handle {
  while (1) {
    my $nl = index($in, "\n"); return if $nl < 0;
    my ($op, $id, $len, $inlen) = split / /, substr($in, 0, $nl);
    if ($op eq 'O') {
      my (undef, undef, @fds) = split / /, substr($in, 0, $nl); substr($in, 0, $nl + 1) = '';
      for my $fd (@fds) {
        if (my $h = $holds{$id}) { close_($fd) if delete $h->{$fd}; delete $holds{$id} unless %$h }
        # An output the worker is done with (it waited long enough after the exit): we read no more of it.
        if ($relay{$fd} && $relay{$fd}[0] eq $id) { close_($fd); delete $relay{$fd} }
      }
      next;
    }
    if ($op eq 'X') {
      substr($in, 0, $nl + 1) = '';
      # Dropped before its turn: its environment changes still count (the next requests' are made on them), it never starts.
      my ($q) = grep { $_->[0] eq $id } @queued;
      next unless $q;
      @queued = grep { $_ != $q } @queued;
      my @f = split /\0/, $q->[1], -1; my (undef, undef, $argc) = splice(@f, 0, 3); splice(@f, 0, $argc); setenv_(@f);
      say_('X', $id);
      next;
    }
    my $all = $len + ($inlen // 0);
    return if length($in) < $nl + 1 + $all;
    my $payload = substr($in, $nl + 1, $len);
    my $input = defined $inlen ? substr($in, $nl + 1 + $len, $inlen) : undef;
    substr($in, 0, $nl + 1 + $all) = '';
    # Q: started once every command running now and every one queued before it has exited (reap). Anything behind a queued one waits its turn too, so the environment changes apply in order.
    if (@queued || ($op eq 'Q' && %kids)) { push @queued, [$id, $payload, $input]; next }
    start($id, $payload, $input);
  }
}
$child_cpu = cpu_now();
say_('R');
while (1) {
  $turn++;
  if ($chld) { $chld = 0; reap() }
  for (keys %unsaid) { announce($_) if $unsaid{$_}[0] < $turn - 1 }
  flush_();
  my $rin = ''; vec($rin, fileno(STDIN), 1) = 1; vec($rin, $chld_fd, 1) = 1;
  vec($rin, $_, 1) = 1 for keys %relay;
  my $n = select(my $rout = $rin, undef, undef, %unsaid ? $unsaid_s : %kids ? 1 : undef);
  next if $n <= 0;
  # At most two bytes wait in the pipe ($woke), and it is readable: this read does not block. reap() comes after it.
  if (vec($rout, $chld_fd, 1)) { $chld = 1; if ($wake_r) { $woke = 0; my $b; sysread($wake_r, $b, 512) } else { read_($chld_fd, 1280) } }
  for my $fd (keys %relay) { pump($fd) if vec($rout, $fd, 1) }
  next unless vec($rout, fileno(STDIN), 1);
  my $r = sysread(STDIN, $in, 65536, length $in);
  if (!defined $r) { next if $!{EINTR} || $!{EAGAIN}; exit 0 }
  if ($r == 0) { flush_(); exit 0 }
  handle();
}
`;

/**
 * The numbers of the system calls the spawner makes by number on this
 * machine, for its @ARGV: setsid and dup3, then pipe2, read, write, close,
 * clock_gettime, rt_sigprocmask and signalfd4 (its pipes as plain fds, the
 * start time from the clock, exits from a signalfd) where known here; none where setsid and dup3 are not (then it
 * loads POSIX).
 */
export function spawnerSyscalls(arch: string = process.arch): string[] {
  const nr = SYSCALLS[arch];
  if (!nr) return [];
  const pipes = PIPE_SYSCALLS[arch];
  return [nr.setsid, nr.dup3, ...(pipes ? [pipes.pipe2, pipes.read, pipes.write, pipes.close, pipes.clockGettime, pipes.sigprocmask, pipes.signalfd4] : [])].map(String);
}

/** Linux system call numbers (the kernel's unistd tables); the generic table serves arm64, riscv64 and loong64. */
const SYSCALLS: Record<string, { setsid: number; dup3: number }> = {
  x64: { setsid: 112, dup3: 292 },
  arm64: { setsid: 157, dup3: 24 },
  riscv64: { setsid: 157, dup3: 24 },
  loong64: { setsid: 157, dup3: 24 },
  ia32: { setsid: 66, dup3: 330 },
  arm: { setsid: 66, dup3: 358 },
  ppc64: { setsid: 156, dup3: 316 },
  s390x: { setsid: 66, dup3: 326 },
};

/**
 * The pipe calls, the clock and the signalfd, on 64-bit machines only (the
 * clock's timespec is two 64-bit fields there) whose O_CLOEXEC is 0x80000,
 * O_NONBLOCK 0x800 and SIGCHLD 17 (x86-64's and the generic table's).
 */
const GENERIC_PIPES = { pipe2: 59, read: 63, write: 64, close: 57, clockGettime: 113, sigprocmask: 135, signalfd4: 74 };
const PIPE_SYSCALLS: Record<string, { pipe2: number; read: number; write: number; close: number; clockGettime: number; sigprocmask: number; signalfd4: number }> = {
  x64: { pipe2: 293, read: 0, write: 1, close: 3, clockGettime: 228, sigprocmask: 14, signalfd4: 289 },
  arm64: GENERIC_PIPES,
  riscv64: GENERIC_PIPES,
  loong64: GENERIC_PIPES,
};
