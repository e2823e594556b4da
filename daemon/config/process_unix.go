//go:build unix

package config

import (
	"errors"
	"syscall"
)

// processGone reports whether no process has id pid. A process of another
// user (EPERM) is alive.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
