package translator

import (
	"errors"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestListenKeepsToLoopbackWithoutKey is the one copy of the rule `serve`
// and the daemon share: beyond loopback only with a master key.
func TestListenKeepsToLoopbackWithoutKey(t *testing.T) {
	for _, tc := range []struct {
		addr, key string
		refused   bool
	}{
		{"127.0.0.1:0", "", false},
		{"0.0.0.0:0", "", true},
		{"0.0.0.0:0", "sk-master-0123456789", false},
	} {
		ln, err := Listen(tc.addr, tc.key)
		if tc.refused {
			if err == nil || !strings.Contains(err.Error(), "without a master key") {
				t.Errorf("Listen(%s, key %q) = %v; want a refusal that names the master key", tc.addr, tc.key, err)
			}
			if ln != nil {
				ln.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("Listen(%s, key %q): %v", tc.addr, tc.key, err)
			continue
		}
		ln.Close()
	}
}

// TestListenNamesThePortOwner: a taken port is a PortInUseError naming
// the process that holds it (this one).
func TestListenNamesThePortOwner(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	_, err = Listen(held.Addr().String(), "")
	var inUse *PortInUseError
	if !errors.As(err, &inUse) || inUse.Addr != held.Addr().String() {
		t.Fatalf("Listen on a taken port: %v", err)
	}
	if runtime.GOOS == "linux" && inUse.PID != os.Getpid() {
		t.Errorf("owner pid %d, want this process %d (%v)", inUse.PID, os.Getpid(), err)
	}
}
