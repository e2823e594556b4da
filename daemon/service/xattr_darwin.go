package service

import (
	"errors"

	"golang.org/x/sys/unix"
)

// readXattr reads an extended attribute with getxattr(2); a quarantine
// value is well under the first buffer, and none is read past 64 KiB.
func readXattr(path, name string) ([]byte, bool, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Getxattr(path, name, buf)
		switch {
		case errors.Is(err, unix.ENOATTR):
			return nil, false, nil
		case errors.Is(err, unix.ERANGE) && len(buf) < 1<<16:
			buf = make([]byte, 2*len(buf))
			continue
		case err != nil:
			return nil, false, err
		}
		return buf[:n], true, nil
	}
}
