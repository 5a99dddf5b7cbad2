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
 *   `O <id>`: the worker has opened the pipes of <id>; let go of our ends.
 *     It may come late (with a later request): only a stdin pipe's write
 *     end, which holds the command's EOF back, must be let go of at once.
 * Replies on stdout, one per line:
 *   `R` once ready;
 *   `S <id> <pid> <stdin fd|-1> <stdout fd> <stderr fd> <start>`: started
 *     (exec'd); the worker opens those fds of ours through /proc/<our pid>/fd/;
 *     <start> is the command's start time (clock ticks since boot, field 22
 *     of /proc/<pid>/stat; -1 if unread): read here, where it costs less
 *     than in Node, for the attempt's scope (attempt-scope.ts);
 *   `F <id> <errno>`: could not start (chdir or exec failed);
 *   `E <id> <wait status> <cpu ms>`: exited, with the CPU it and the children
 *     it reaped used (times(2) around its waitpid).
 * The child calls setsid (leads a new session and process group) before
 * exec, as a `detached` Node spawn does. The spawner's own environment is
 * the last command's (set before the fork, kept for the next); it uses none of it. On EOF on stdin the spawner exits;
 * running commands go on, reparented, as they would after a worker's exit.
 */
export const SPAWNER_SCRIPT = String.raw`
use strict; use warnings;
use POSIX ();
$0 = 'djc-spawner';
binmode(STDIN); binmode(STDOUT);
$SIG{PIPE} = 'IGNORE';
my $tck = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
my (%kids, %holds);
my $in = '';
my $child_cpu = 0;
# A child's exit wakes the select below through this pipe (the self-pipe trick): a SIGCHLD that came between reap() and
# select() would otherwise be lost, and the exit seen only at select's timeout (50 ms: most short commands, at load).
pipe(my $wake_r, my $wake_w) or die "djc-spawner: pipe: $!";
for ($wake_r, $wake_w) { my $fl = fcntl($_, POSIX::F_GETFL(), 0); fcntl($_, POSIX::F_SETFL(), $fl | POSIX::O_NONBLOCK()) }
$SIG{CHLD} = sub { syswrite($wake_w, 'c') };
sub say_ { my $s = join(' ', @_) . "\n"; my $o = 0; while ($o < length $s) { my $n = syswrite(STDOUT, $s, length($s) - $o, $o); if (!defined $n) { next if $!{EINTR}; exit 0 } $o += $n } }
sub cpu_now { my @t = POSIX::times(); return $t[3] + $t[4] }
sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $st = $?; my $c = cpu_now(); my $ms = int(($c - $child_cpu) * 1000 / $tck); $child_cpu = $c;
    my $id = delete $kids{$pid};
    say_('E', $id, $st, $ms) if defined $id;
  }
}
sub start_of {
  my ($pid) = @_; my $t = '';
  sysopen(my $f, "/proc/$pid/stat", 0) or return -1;
  sysread($f, $t, 4096); close $f;
  my $i = rindex($t, ')'); return -1 if $i < 0;
  my @f = split / /, substr($t, $i + 2);
  return defined $f[19] && $f[19] =~ /^\d+$/ ? $f[19] : -1;
}
sub start {
  my ($id, $payload, $input) = @_;
  my @f = split /\0/, $payload, -1;
  my ($cwd, $mode, $argc) = splice(@f, 0, 3);
  my @argv = splice(@f, 0, $argc);
  # The command's environment is set here, not in the child: the child's writes would copy perl's pages (copy on write) just before exec drops them.
  # Only what differs from the last command's (setting ~45 entries anew cost ~0.1 ms per command); first, before any early return, so the worker's copy stays right.
  for (@f) {
    my $i = index($_, '=');
    if ($i > 0) { $ENV{substr($_, 0, $i)} = substr($_, $i + 1) }
    elsif ($_ eq '') { %ENV = () }
    elsif ($i < 0) { delete $ENV{$_} }
  }
  my ($in_r, $in_w, $out_r, $out_w, $err_r, $err_w, $x_r, $x_w);
  my $pipe_in = substr($mode, 0, 1) ne 'n';
  my $direct = index($mode, 'd') > 0;
  if ($pipe_in) { pipe($in_r, $in_w) or return say_('F', $id, $! + 0) }
  # The whole stdin came with the request: into the pipe now, and our write end closed, so the command reads it, then EOF.
  if (defined $input) {
    my $o = 0;
    while ($o < length $input) { my $n = syswrite($in_w, $input, length($input) - $o, $o); if (!defined $n) { next if $!{EINTR}; return say_('F', $id, $! + 0) } $o += $n }
    close $in_w; undef $in_w;
  }
  pipe($out_r, $out_w) or return say_('F', $id, $! + 0);
  pipe($err_r, $err_w) or return say_('F', $id, $! + 0);
  pipe($x_r, $x_w) or return say_('F', $id, $! + 0);
  my $pid = fork();
  return say_('F', $id, $! + 0) unless defined $pid;
  if ($pid == 0) {
    close $x_r;
    $SIG{CHLD} = 'DEFAULT'; $SIG{PIPE} = 'DEFAULT';
    my $fail = sub { my $e = ($! + 0) || 5; syswrite($x_w, "$e"); POSIX::_exit(127) };
    POSIX::setsid();
    chdir($cwd) or $fail->();
    # Without a shell, PWD as dash sets it at start-up: the inherited PWD if it names this directory, else its physical path.
    if ($direct) { my @d = stat('.'); my $p = $ENV{PWD}; my @p = defined $p && substr($p, 0, 1) eq '/' ? stat($p) : (); $ENV{PWD} = (@p && @d && $p[0] == $d[0] && $p[1] == $d[1]) ? $p : (POSIX::getcwd() // $p) }
    if ($pipe_in) { POSIX::dup2(fileno($in_r), 0) // $fail->() }
    else { open(STDIN, '<', '/dev/null') or $fail->() }
    POSIX::dup2(fileno($out_w), 1) // $fail->();
    POSIX::dup2(fileno($err_w), 2) // $fail->();
    { no warnings; exec { $argv[0] } @argv; }
    $fail->();
  }
  close $x_w; close $out_w; close $err_w; close $in_r if $in_r;
  my $err = ''; 1 while !defined(sysread($x_r, $err, 16)) && $!{EINTR};
  close $x_r;
  if (length $err) {
    1 while waitpid($pid, 0) < 0 && $!{EINTR};
    $child_cpu = cpu_now();
    return say_('F', $id, $err);
  }
  $kids{$pid} = $id;
  $holds{$id} = [grep { defined } ($in_w, $out_r, $err_r)];
  say_('S', $id, $pid, $in_w ? fileno($in_w) : -1, fileno($out_r), fileno($err_r), start_of($pid));
}
sub handle {
  while (1) {
    my $nl = index($in, "\n"); return if $nl < 0;
    my ($op, $id, $len, $inlen) = split / /, substr($in, 0, $nl);
    if ($op eq 'O') { substr($in, 0, $nl + 1) = ''; delete $holds{$id}; next }
    my $all = $len + ($inlen // 0);
    return if length($in) < $nl + 1 + $all;
    my $payload = substr($in, $nl + 1, $len);
    my $input = defined $inlen ? substr($in, $nl + 1 + $len, $inlen) : undef;
    substr($in, 0, $nl + 1 + $all) = '';
    start($id, $payload, $input);
  }
}
$child_cpu = cpu_now();
say_('R');
while (1) {
  reap();
  my $rin = ''; vec($rin, fileno(STDIN), 1) = 1; vec($rin, fileno($wake_r), 1) = 1;
  my $n = select(my $rout = $rin, undef, undef, %kids ? 1 : undef);
  next if $n <= 0;
  if (vec($rout, fileno($wake_r), 1)) { my $b; 1 while (sysread($wake_r, $b, 512) // 0) > 0 }
  next unless vec($rout, fileno(STDIN), 1);
  my $r = sysread(STDIN, $in, 65536, length $in);
  if (!defined $r) { next if $!{EINTR} || $!{EAGAIN}; exit 0 }
  exit 0 if $r == 0;
  handle();
}
`;
