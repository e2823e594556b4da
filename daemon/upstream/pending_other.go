//go:build !linux && !darwin

package upstream

import "net"

// pendingBytes cannot tell how many bytes wait unread on this system.
func pendingBytes(net.Conn) (int, bool) { return 0, false }
