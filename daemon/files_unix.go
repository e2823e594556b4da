//go:build unix

package daemon

import "syscall"

// fileLimit is the soft limit on open files; 0 when unknown.
func fileLimit() int {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur > 1<<31 {
		return 0
	}
	return int(l.Cur)
}
