//go:build !unix

package daemon

import (
	"errors"
	"os"
)

var errLocked = errors.New("locked by another process")

// On systems without flock the lock is advisory only: the port check in
// Start still keeps two daemons from serving at once.
func lockExclusive(f *os.File) error { return nil }

func unlock(f *os.File) {}
