//go:build linux || darwin

package upstream

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// pendingBytes reports how many bytes wait unread in the kernel for conn;
// ok is false when that cannot be known (not a socket, say a TLS
// connection).
func pendingBytes(conn net.Conn) (n int, ok bool) {
	sc, isSocket := conn.(syscall.Conn)
	if !isSocket {
		return 0, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var ioctlErr error
	if err := raw.Control(func(fd uintptr) { n, ioctlErr = unix.IoctlGetInt(int(fd), fionread) }); err != nil || ioctlErr != nil {
		return 0, false
	}
	return n, true
}
