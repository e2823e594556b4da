package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/admin"
)

// lockFile is held (flock) by the one daemon of a user for as long as it
// runs; the kernel releases it when the process dies, even on kill -9.
const lockFile = "daemon.lock"

// AlreadyRunningError is returned by Start when another daemon holds the
// lock of the same runtime directory.
type AlreadyRunningError struct {
	PID  int    // 0 when unknown
	Dir  string // the runtime directory
	Addr string // the other daemon's listen address, when known
}

// Error names the other daemon (its pid and address when known) and the
// runtime directory it holds, and says how to stop it: from the CLI or
// from the menu bar.
func (e *AlreadyRunningError) Error() string {
	who := "another clawbridge daemon"
	if e.PID > 0 {
		who = fmt.Sprintf("another clawbridge daemon (pid %d)", e.PID)
	}
	msg := who + " is already running for " + e.Dir
	if e.Addr != "" {
		msg += ", serving " + e.Addr
	}
	return msg + "; stop it first (clawbridge stop, or quit it from the menu bar)"
}

// acquireLock takes the per-user instance lock in dir, or explains who has
// it. The returned func releases it.
func acquireLock(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := lockExclusive(f); err != nil {
		f.Close()
		if !errors.Is(err, errLocked) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		e := &AlreadyRunningError{Dir: dir}
		if data, err := os.ReadFile(path); err == nil {
			e.PID, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		}
		if rt, err := admin.ReadRuntime(dir); err == nil && rt.PID == e.PID {
			e.Addr = rt.Listen
		}
		return nil, e
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		os.Remove(filepath.Join(dir, admin.RuntimeFile))
		unlock(f)
		f.Close()
	}, nil
}
