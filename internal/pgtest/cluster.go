package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	dirPrefix     = "bricstown-pgtest-"
	ownerFile     = "owner" // "<pid> <hostname>" of the test process
	superuser     = "postgres"
	readyTimeout  = 60 * time.Second
	stopTimeout   = 20 * time.Second
	portAttempts  = 5
	maxSocketPath = 100 // sun_path holds 108 bytes on Linux
)

// binaries are the PostgreSQL programs that a cluster needs.
type binaries struct {
	initdb, postgres string
}

func (b binaries) dir() string { return filepath.Dir(b.postgres) }

// findBinaries looks for initdb and postgres: in EnvBinDir, then beside the
// initdb of PATH, then in /usr/lib/postgresql/*/bin, newest version first.
func findBinaries() (binaries, error) {
	if dir := os.Getenv(EnvBinDir); dir != "" {
		b, ok := binariesIn(dir)
		if !ok {
			return binaries{}, fmt.Errorf("%s=%s has no executable initdb and postgres", EnvBinDir, dir)
		}
		return b, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			if b, ok := binariesIn(filepath.Dir(real)); ok {
				return b, nil
			}
		}
		if pg, err := exec.LookPath("postgres"); err == nil {
			return binaries{initdb: p, postgres: pg}, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { // newest version first
		va, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(a)), 64)
		vb, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(b)), 64)
		switch {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return strings.Compare(a, b)
	})
	for _, d := range dirs {
		if b, ok := binariesIn(d); ok {
			return b, nil
		}
	}
	return binaries{}, fmt.Errorf("no PostgreSQL server binaries: initdb and postgres are in neither %s, PATH, nor /usr/lib/postgresql/*/bin, and %s is not set", EnvBinDir, EnvURL)
}

func binariesIn(dir string) (binaries, bool) {
	b := binaries{initdb: filepath.Join(dir, "initdb"), postgres: filepath.Join(dir, "postgres")}
	return b, isExecutable(b.initdb) && isExecutable(b.postgres)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// runAs is the user that runs initdb and postgres.
type runAs struct {
	name string
	cred *syscall.Credential // nil: the current user
}

// serverUser picks the user for the server: the current user, or, for root,
// "postgres" or else "nobody", since PostgreSQL refuses to run as root.
func serverUser() (runAs, error) {
	if os.Geteuid() != 0 {
		name := strconv.Itoa(os.Geteuid())
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
		return runAs{name: name}, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return runAs{name: name, cred: &syscall.Credential{
			Uid:    uint32(uid),
			Gid:    uint32(gid),
			Groups: []uint32{}, // drop the groups of root
		}}, nil
	}
	return runAs{}, errors.New("the tests run as root, which PostgreSQL refuses, and there is no user postgres or nobody to run the server as")
}

// cluster is a PostgreSQL cluster that this process started.
type cluster struct {
	bins  binaries
	run   runAs
	fast  bool
	extra []string // more postgres arguments, such as replication settings

	root    string // the directory of everything, also the socket directory
	data    string // the data directory
	logPath string
	port    int

	cmd    *exec.Cmd
	exited chan struct{} // closed when postgres has exited
	err    error         // the result of Wait, valid after exited

	initdbTook, startTook, total time.Duration
}

func (c *cluster) adminURL() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable", superuser, c.port)
}

// startCluster makes a new cluster with initdb and starts postgres on it.
func startCluster(bins binaries, run runAs, fast bool) (*cluster, error) {
	return startClusterWith(bins, run, fast, nil, nil)
}

// startClusterWith is startCluster with more postgres arguments and, when
// fill is not nil, fill instead of initdb to make the data directory (a
// standby's pg_basebackup).
func startClusterWith(bins binaries, run runAs, fast bool, extra []string, fill func(c *cluster) error) (*cluster, error) {
	t0 := time.Now()
	base := tempBase(run)
	sweepStale(base)

	root, err := os.MkdirTemp(base, dirPrefix)
	if err != nil {
		return nil, err
	}
	c := &cluster{bins: bins, run: run, fast: fast, extra: extra, root: root,
		data: filepath.Join(root, "data"), logPath: filepath.Join(root, "postgres.log")}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(root)
		}
	}()
	host, _ := os.Hostname()
	if err := os.WriteFile(filepath.Join(root, ownerFile), fmt.Appendf(nil, "%d %s\n", os.Getpid(), host), 0o644); err != nil {
		return nil, err
	}
	if run.cred != nil {
		if err := os.Chown(root, int(run.cred.Uid), int(run.cred.Gid)); err != nil {
			return nil, fmt.Errorf("giving %s to user %s: %w", root, run.name, err)
		}
	}

	// initdb
	initStart := time.Now()
	if fill != nil {
		if err := fill(c); err != nil {
			return nil, err
		}
	} else if err := c.initdb(); err != nil {
		return nil, err
	}
	c.initdbTook = time.Since(initStart)

	// postgres, on a free port. Another process can take the port between
	// freePort and the bind of postgres, so try a few ports.
	serverStart := time.Now()
	for attempt := 1; ; attempt++ {
		err = c.startServer()
		if err == nil {
			break
		}
		if attempt >= portAttempts || !strings.Contains(err.Error(), "could not bind") {
			return nil, err
		}
	}
	c.startTook = time.Since(serverStart)
	c.total = time.Since(t0)
	ok = true
	return c, nil
}

// initdb makes the data directory of a new cluster.
func (c *cluster) initdb() error {
	bins, run := c.bins, c.run
	cmd := exec.Command(bins.initdb,
		"-D", c.data,
		"-U", superuser,
		"--auth=trust",
		"-E", "UTF8",
		"--locale=C",
		"-N", // no fsync of the new files: the cluster is throwaway
	)
	cmd.Dir = c.root
	cmd.Env = c.env()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: run.cred, Pdeathsig: syscall.SIGKILL}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s as user %s: %w\n%s", bins.initdb, run.name, err, tail(out))
	}
	return nil
}

// env is the environment of initdb and postgres: nothing from the test
// process (such as PGDATA or PGPORT) but PATH.
func (c *cluster) env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + c.root,
		"LC_ALL=C",
		"LANG=C",
		"TZ=UTC", // initdb writes timezone = 'UTC' to postgresql.conf
	}
}

func (c *cluster) startServer() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	c.port = port

	args := []string{
		"-D", c.data,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=200",
		"-c", "logging_collector=off",
		"-c", "unix_socket_permissions=0700",
	}
	if sock := filepath.Join(c.root, ".s.PGSQL."+strconv.Itoa(port)); len(sock) <= maxSocketPath {
		args = append(args, "-c", "unix_socket_directories="+c.root)
	} else {
		args = append(args, "-c", "unix_socket_directories=")
	}
	args = append(args, c.extra...)
	if c.fast {
		args = append(args,
			"-c", "fsync=off",
			"-c", "synchronous_commit=off",
			"-c", "full_page_writes=off")
	}

	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close() // postgres has its own copy
	logStart, _ := logf.Seek(0, 2)

	cmd := exec.Command(c.bins.postgres, args...)
	cmd.Dir = c.root
	cmd.Env = c.env()
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: c.run.cred,
		// Own process group: a ^C on the terminal reaches the test
		// process, which then stops the cluster, or dies and so sends
		// the death signal below.
		Setpgid: true,
		// When the test process dies without stopping the cluster (no
		// pgtest.Main, a panic, a timeout, SIGKILL), the kernel sends
		// SIGQUIT, the immediate shutdown of PostgreSQL.
		Pdeathsig: syscall.SIGQUIT,
	}
	c.cmd = cmd
	c.exited = make(chan struct{})

	// The kernel sends the death signal when the thread that forked the
	// child exits, not the process. Go may end a thread that a goroutine
	// locked and left. So fork from a thread of our own, and keep it until
	// postgres exits.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			runtime.UnlockOSThread()
			return
		}
		started <- nil
		c.err = cmd.Wait()
		close(c.exited)
		runtime.UnlockOSThread()
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("starting %s: %w", c.bins.postgres, err)
	}

	if err := c.waitReady(); err != nil {
		c.kill()
		logText, _ := os.ReadFile(c.logPath)
		if int64(len(logText)) >= logStart {
			logText = logText[logStart:]
		}
		return fmt.Errorf("%s as user %s: %w\n%s", c.bins.postgres, c.run.name, err, tail(logText))
	}
	return nil
}

// waitReady waits until postgres accepts connections.
func (c *cluster) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-c.exited:
			return fmt.Errorf("exited before it was ready: %v", c.err)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, c.adminURL())
		if err == nil {
			conn.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %v", readyTimeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill stops postgres at once and waits for it.
func (c *cluster) kill() {
	c.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
	}
}

// stop shuts postgres down (fast shutdown: SIGINT) and removes the
// directory of the cluster.
func (c *cluster) stop() error {
	var err error
	select {
	case <-c.exited:
	default:
		c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.exited:
		case <-time.After(stopTimeout):
			err = fmt.Errorf("postgres did not stop within %v; killed it", stopTimeout)
			c.kill()
		}
	}
	if rmErr := os.RemoveAll(c.root); rmErr != nil && err == nil {
		err = rmErr
	}
	return err
}

// freePort returns a TCP port of 127.0.0.1 that is free now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tempBase returns the directory for new clusters: the temporary directory,
// or /tmp when the server user cannot reach the temporary directory (for
// example TMPDIR=/root/tmp).
func tempBase(run runAs) string {
	dir := os.TempDir()
	if run.cred == nil {
		return dir
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == "/" || d == "." {
			return dir
		}
	}
}

// sweepStale removes the cluster directories under base that test processes
// of this host left when they died without pgtest.Main: their owner is gone,
// and so is their postgres, which the death signal stopped.
func sweepStale(base string) {
	host, _ := os.Hostname()
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			// Maybe being made right now; remove only old ones.
			if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > time.Hour {
				os.RemoveAll(d)
			}
			continue
		}
		f := strings.Fields(string(b))
		if len(f) != 2 || f[1] != host {
			continue
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil || alive(pid) {
			continue
		}
		if pm, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			line, _, _ := strings.Cut(string(pm), "\n")
			if pmPid, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && alive(pmPid) {
				continue // still shutting down; a later run removes it
			}
		}
		os.RemoveAll(d)
	}
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	// A zombie has exited; a container without an init can leave it.
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
		return false
	}
	return true
}

// tail returns the last lines of out, for error messages.
func tail(out []byte) string {
	out = bytes.TrimSpace(out)
	const max = 4000
	if len(out) > max {
		out = out[len(out)-max:]
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			out = out[i+1:]
		}
	}
	return string(out)
}
