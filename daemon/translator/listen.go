package translator

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The translator's listener, as both `clawbridge serve` and the daemon
// open and close it: one copy of the rule that keeps it on loopback unless
// a master key guards it, of the error that names who holds a taken port,
// and of the graceful shutdown.

// ShutdownGrace is how long a stop lets answers in flight finish before
// cutting them off, unless the caller chooses another bound.
const ShutdownGrace = 10 * time.Second

// Listen opens the translator's listener on addr. A taken address is a
// PortInUseError naming its owner; an address beyond loopback is refused
// unless masterKey is set, because anyone who can reach it could use the
// user's models.
func Listen(addr, masterKey string) (net.Listener, error) {
	ln, err := ListenTCP(addr)
	if err != nil {
		return nil, err
	}
	if !isLoopback(ln.Addr()) && masterKey == "" {
		ln.Close()
		return nil, fmt.Errorf("refusing to listen on %s without a master key: anyone who can reach it could use your models; set general_settings.master_key or listen on 127.0.0.1", addr)
	}
	return ln, nil
}

func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// Listener is the translator's HTTP server on one listener.
type Listener struct {
	srv  *http.Server
	addr string // the bound address
	log  *slog.Logger
	done chan struct{}
	err  error // why serving stopped, once done is closed
}

// Serve opens addr with Listen and serves h there (through
// NewHTTPServer) until Shutdown, or until serving fails.
func Serve(addr, masterKey string, h http.Handler, log *slog.Logger) (*Listener, error) {
	ln, err := Listen(addr, masterKey)
	if err != nil {
		return nil, err
	}
	l := &Listener{srv: NewHTTPServer(h, log), addr: ln.Addr().String(), log: log, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		l.err = l.srv.Serve(ln)
	}()
	return l, nil
}

// Addr is the address the listener is bound to: the port chosen for a
// requested port 0.
func (l *Listener) Addr() string { return l.addr }

// Done is closed when serving has stopped, by Shutdown or on its own.
func (l *Listener) Done() <-chan struct{} { return l.done }

// Err says why serving stopped on its own; nil after Shutdown or while it
// serves.
func (l *Listener) Err() error {
	select {
	case <-l.done:
	default:
		return nil
	}
	if errors.Is(l.err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve on %s: %w", l.addr, l.err)
}

// Shutdown stops listening and lets answers in flight finish for up to
// grace, then cuts off what is left. It returns once serving has stopped.
func (l *Listener) Shutdown(grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := l.srv.Shutdown(ctx); err != nil {
		l.log.Warn("translator: answers still in flight were cut off", "addr", l.addr, "grace", grace)
		l.srv.Close()
	}
	<-l.done
}

// PortInUseError is returned when the translator's address is taken. It
// names the process listening there when it can be found, because "address
// already in use" alone sends users hunting for the leftover LiteLLM proxy.
type PortInUseError struct {
	Addr    string
	PID     int    // 0 when unknown
	Command string // the owner's command name, when known
}

// Error names the address and, as far as it is known, the program
// holding it (command and pid, else an lsof command to find it), with the
// two ways out: stop that program or move clawbridge.listen.
func (e *PortInUseError) Error() string {
	switch {
	case e.PID > 0 && e.Command != "":
		return fmt.Sprintf("%s is already in use by %s (pid %d); stop it (an old LiteLLM proxy? kill %d) or set clawbridge.listen to another address", e.Addr, e.Command, e.PID, e.PID)
	case e.PID > 0:
		return fmt.Sprintf("%s is already in use by pid %d; stop it or set clawbridge.listen to another address", e.Addr, e.PID)
	}
	return fmt.Sprintf("%s is already in use by another program; find it with `lsof -nP -iTCP:%s -sTCP:LISTEN` and stop it, or set clawbridge.listen to another address", e.Addr, portOf(e.Addr))
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// ListenTCP listens on addr and turns "address in use" into a
// PortInUseError that names the owner. The doctor uses it to tell whether
// the translator's port is free.
func ListenTCP(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	e := &PortInUseError{Addr: addr}
	if port, perr := strconv.Atoi(portOf(addr)); perr == nil {
		e.PID, e.Command = PortOwner(port)
	}
	return nil, e
}

// PortOwner finds the process listening on TCP port, best effort: from
// /proc on Linux, from lsof elsewhere. The doctor names the program on a
// gateway port with it too.
func PortOwner(port int) (pid int, command string) {
	if runtime.GOOS == "linux" {
		if pid = procPortOwner(port); pid > 0 {
			comm, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
			return pid, strings.TrimSpace(string(comm))
		}
		return 0, ""
	}
	out, err := exec.Command("lsof", "-nP", "-iTCP:"+strconv.Itoa(port), "-sTCP:LISTEN", "-Fpc").Output()
	if err != nil {
		return 0, ""
	}
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "p") && pid == 0:
			pid, _ = strconv.Atoi(line[1:])
		case strings.HasPrefix(line, "c") && command == "":
			command = line[1:]
		}
	}
	return pid, command
}

// procPortOwner reads the listening socket's inode from /proc/net/tcp{,6}
// and finds the process holding it. Other users' processes cannot be read
// without privileges; then the answer is 0.
func procPortOwner(port int) int {
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(fields[1], ":")
			if p, err := strconv.ParseInt(hexPort, 16, 32); ok && err == nil && int(p) == port {
				inodes["socket:["+fields[9]+"]"] = true
			}
		}
		f.Close()
	}
	if len(inodes) == 0 {
		return 0
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		for _, fd := range fds {
			if link, err := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name())); err == nil && inodes[link] {
				return pid
			}
		}
	}
	return 0
}
