package tenantstest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// This file starts private servers and binaries for tests that kill or
// stall the real thing: a redis-server and a mariadbd of the test's own, on
// free loopback ports, that the test may SIGKILL and start again on the
// same port. The shared services on 3306 and 6379 are never touched.

// FreePort returns a loopback TCP port that nothing listened on a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// lookBin finds a server program, also in the sbin directories often
// missing from PATH, and fails the test clearly when it is not installed.
func lookBin(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
		for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/bin"} {
			if p := filepath.Join(dir, n); isExecutable(p) {
				return p
			}
		}
	}
	t.Fatalf("tenantstest: %s is not installed (`make test` installs it through scripts/services.sh)", names[0])
	return ""
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Process is a server or binary started by a test; Stop, Kill and the end
// of the test reap it.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error       // Wait's answer, once done is closed
	Log  *SyncBuffer // stdout and stderr
}

// StartProcess runs bin with args and env (added to this process's
// environment); it is killed when the test ends if still running.
func StartProcess(t testing.TB, bin string, args, env []string) *Process {
	t.Helper()
	p := &Process{Log: &SyncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.Log, p.Log
	// Killed with the test binary even when cleanups cannot run (a panic,
	// go test's -timeout).
	p.cmd.SysProcAttr = dieWithParent()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("tenantstest: start %s: %v", filepath.Base(bin), err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		// A binary built with -race (Build, under go test -race) reports a
		// race on its stderr and goes on: the test that ran it fails.
		if log := p.Log.String(); strings.Contains(log, "WARNING: DATA RACE") {
			t.Errorf("tenantstest: %s reported a data race; log:\n%s", filepath.Base(bin), log)
		}
	})
	return p
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Process) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Wait waits up to d for the process to exit and returns its exit code.
func (p *Process) Wait(t testing.TB, d time.Duration) int {
	t.Helper()
	if !p.Exited() {
		select {
		case <-p.done:
		case <-time.After(d):
			t.Fatalf("tenantstest: process %d still running after %s; log:\n%s", p.Pid(), d, p.Log.String())
		}
	}
	if p.err == nil {
		return 0
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// SyncBuffer is an output (a process's, or a logger's in the code under test)
// written from other goroutines while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls ok every 20ms until it answers true or d passes.
func waitFor(d time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if ok() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------
// Redis

// RedisServer is a private redis-server. It saves nothing by itself (no RDB
// schedule, no AOF): a SIGKILL loses its data, unless the test took a
// snapshot with Save, which the next Start loads.
type RedisServer struct {
	t    testing.TB
	bin  string
	port int
	dir  string
	proc *Process
}

// StartRedis starts a private redis-server on a free loopback port.
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	r := &RedisServer{t: t, bin: lookBin(t, "redis-server"), port: FreePort(t), dir: t.TempDir()}
	r.Start()
	return r
}

// Addr is host:port.
func (r *RedisServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// URL is the redis:// URL of the server.
func (r *RedisServer) URL() string { return "redis://" + r.Addr() + "/0" }

// Start starts the server on its port, loading dump.rdb if a Save left one.
func (r *RedisServer) Start() {
	r.t.Helper()
	if r.proc != nil && !r.proc.Exited() {
		r.t.Fatal("tenantstest: redis-server is already running")
	}
	r.proc = StartProcess(r.t, r.bin, []string{
		"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "no", "--dbfilename", "dump.rdb",
		"--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning",
	}, nil)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr(), DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	up := waitFor(10*time.Second, func() bool {
		if r.proc.Exited() {
			return true
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		return rdb.Ping(ctx).Err() == nil
	})
	if !up || r.proc.Exited() {
		r.t.Fatalf("tenantstest: redis-server did not come up on %s; log:\n%s", r.Addr(), r.proc.Log.String())
	}
}

// Kill SIGKILLs the server: every connection drops, unsaved data is lost.
func (r *RedisServer) Kill() { r.proc.Kill() }

// Pause stalls the server (SIGSTOP): connections stay open, nothing
// answers, as with a Redis stuck in a long command or swapping.
func (r *RedisServer) Pause() {
	r.t.Helper()
	if err := r.proc.Signal(syscall.SIGSTOP); err != nil {
		r.t.Fatal(err)
	}
}

// Resume lets a paused server go on (SIGCONT).
func (r *RedisServer) Resume() {
	r.t.Helper()
	if err := r.proc.Signal(syscall.SIGCONT); err != nil {
		r.t.Fatal(err)
	}
}

// Save writes a snapshot (SAVE) that the next Start loads.
func (r *RedisServer) Save() {
	r.t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()
	if err := rdb.Save(context.Background()).Err(); err != nil {
		r.t.Fatalf("tenantstest: redis SAVE: %v", err)
	}
}

// Forget deletes the snapshot, so that the next Start begins empty.
func (r *RedisServer) Forget() {
	r.t.Helper()
	if err := os.Remove(filepath.Join(r.dir, "dump.rdb")); err != nil && !os.IsNotExist(err) {
		r.t.Fatal(err)
	}
}

// ---------------------------------------------------------------------------
// MariaDB

// MariaDB is a private mariadbd with its own data directory, run with
// --skip-grant-tables: any user, any password, over TCP on loopback.
type MariaDB struct {
	t       testing.TB
	bin     string
	port    int
	dir     string
	datadir string
	proc    *Process
}

var mariadbTemplate struct {
	once sync.Once
	dir  string
	err  error
}

// smallInnoDB keeps a test server's files and memory small.
var smallInnoDB = []string{"--innodb-log-file-size=8M", "--innodb-buffer-pool-size=16M"}

// template initialises a data directory once per test binary; every
// private server starts from a copy. CleanupProcs removes it.
func mariadbTemplateDir(t testing.TB) string {
	t.Helper()
	install := lookBin(t, "mariadb-install-db", "mysql_install_db")
	mariadbTemplate.once.Do(func() {
		dir, err := os.MkdirTemp("", "miniauth-mariadb-template-")
		if err != nil {
			mariadbTemplate.err = err
			return
		}
		mariadbTemplate.dir = filepath.Join(dir, "data")
		registerCleanup(func() { os.RemoveAll(dir) })
		args := append([]string{"--no-defaults", "--datadir=" + mariadbTemplate.dir, "--skip-test-db",
			"--auth-root-authentication-method=normal"}, smallInnoDB...)
		if os.Geteuid() == 0 {
			args = append(args, "--user=root")
		}
		out, err := exec.Command(install, args...).CombinedOutput()
		if err != nil {
			mariadbTemplate.err = fmt.Errorf("%s: %v\n%s", filepath.Base(install), err, out)
		}
	})
	if mariadbTemplate.err != nil {
		t.Fatalf("tenantstest: cannot initialise a MariaDB data directory: %v", mariadbTemplate.err)
	}
	return mariadbTemplate.dir
}

// StartMariaDB starts a private MariaDB on a free loopback port.
func StartMariaDB(t testing.TB) *MariaDB {
	t.Helper()
	m := &MariaDB{t: t, bin: lookBin(t, "mariadbd", "mysqld"), port: FreePort(t)}
	tmpl := mariadbTemplateDir(t)
	// Not t.TempDir: the socket path must stay short (108 bytes).
	dir, err := os.MkdirTemp("", "mdb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	m.dir, m.datadir = dir, filepath.Join(dir, "data")
	if out, err := exec.Command("cp", "-a", tmpl, m.datadir).CombinedOutput(); err != nil {
		t.Fatalf("tenantstest: copy the MariaDB template: %v %s", err, out)
	}
	m.Start()
	return m
}

// Port is the TCP port.
func (m *MariaDB) Port() int { return m.port }

// DSN reaches database db (none when empty) as root.
func (m *MariaDB) DSN(db string) string {
	return fmt.Sprintf("root:@tcp(127.0.0.1:%d)/%s?parseTime=true&charset=utf8mb4", m.port, db)
}

// Start starts the server on its port; after a Kill, InnoDB recovers.
func (m *MariaDB) Start() {
	m.t.Helper()
	if m.proc != nil && !m.proc.Exited() {
		m.t.Fatal("tenantstest: mariadbd is already running")
	}
	args := append([]string{"--no-defaults",
		"--datadir=" + m.datadir, "--port=" + strconv.Itoa(m.port), "--bind-address=127.0.0.1",
		"--socket=" + filepath.Join(m.dir, "sock"), "--pid-file=" + filepath.Join(m.dir, "pid"),
		"--log-error=" + filepath.Join(m.dir, "error.log"),
		"--skip-grant-tables", "--skip-name-resolve", "--skip-log-bin", "--max-connections=500",
	}, smallInnoDB...)
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	m.proc = StartProcess(m.t, m.bin, args, nil)
	up := waitFor(30*time.Second, func() bool {
		if m.proc.Exited() {
			return true
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(m.port), 200*time.Millisecond)
		if err != nil {
			return false
		}
		// The handshake packet arrives once the server accepts clients.
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		n, _ := c.Read(make([]byte, 8))
		c.Close()
		return n > 0
	})
	if !up || m.proc.Exited() {
		log, _ := os.ReadFile(filepath.Join(m.dir, "error.log"))
		m.t.Fatalf("tenantstest: mariadbd did not come up on port %d; log:\n%s%s", m.port, m.proc.Log.String(), log)
	}
}

// Kill SIGKILLs the server: connections drop, uncommitted transactions are
// lost and InnoDB recovers on the next Start.
func (m *MariaDB) Kill() { m.proc.Kill() }

// ---------------------------------------------------------------------------
// Binaries

var builds struct {
	mu   sync.Mutex
	dir  string
	bins map[string]string
}

// Build compiles the main package pkg (e.g. "miniauth/cmd/miniauth") once
// per test binary and returns the executable's path.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if p, ok := builds.bins[pkg]; ok {
		return p
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "miniauth-bin-")
		if err != nil {
			t.Fatal(err)
		}
		builds.dir, builds.bins = dir, map[string]string{}
		registerCleanup(func() { os.RemoveAll(dir) })
	}
	// go test puts its own GOROOT/bin first on the PATH of test binaries.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("tenantstest: the go command is not on PATH: %v", err)
	}
	out := filepath.Join(builds.dir, filepath.Base(pkg))
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	if b, err := exec.Command(goBin, append(args, pkg)...).CombinedOutput(); err != nil {
		t.Fatalf("tenantstest: go build %s: %v\n%s", pkg, err, b)
	}
	builds.bins[pkg] = out
	return out
}

var cleanups struct {
	mu  sync.Mutex
	fns []func()
}

func registerCleanup(f func()) {
	cleanups.mu.Lock()
	defer cleanups.mu.Unlock()
	cleanups.fns = append(cleanups.fns, f)
}

// CleanupProcs removes what outlives single tests (the MariaDB template,
// built binaries). Call it from TestMain after m.Run.
func CleanupProcs() {
	cleanups.mu.Lock()
	defer cleanups.mu.Unlock()
	for _, f := range cleanups.fns {
		f()
	}
	cleanups.fns = nil
}
