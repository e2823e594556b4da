// Package notifytest runs a private DBus session bus with a recording
// notification server on it (org.freedesktop.Notifications), so tests can
// observe the notifications a real desktop would show, sent through the
// same library and protocol.
package notifytest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Call is one Notify call the server received.
type Call struct {
	AppName, Summary, Body string
}

// Server owns org.freedesktop.Notifications on a private session bus.
type Server struct {
	// Address is the bus address; tests point DBUS_SESSION_BUS_ADDRESS at it.
	Address string

	mu    sync.Mutex
	calls []Call
	next  uint32
}

// Start launches dbus-daemon (Debian package dbus) for the test's lifetime,
// claims the notification service name on it and sets
// DBUS_SESSION_BUS_ADDRESS for the rest of the test. A machine without
// dbus-daemon fails the test: the project provisions it.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Fatalf("notifytest: dbus-daemon not found (apt-get install dbus; make test provisions it): %v", err)
	}
	cmd := exec.Command(bin, "--session", "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("notifytest: start dbus-daemon: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	s := &Server{}
	select {
	case s.Address = <-addr:
	case <-time.After(30 * time.Second):
		t.Fatal("notifytest: dbus-daemon printed no address")
	}
	if s.Address == "" {
		t.Fatal("notifytest: dbus-daemon printed an empty address")
	}
	conn, err := dbus.Connect(s.Address)
	if err != nil {
		t.Fatalf("notifytest: connect to %s: %v", s.Address, err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Export(s, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("notifytest: own org.freedesktop.Notifications: reply %v, %v", reply, err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", s.Address)
	return s
}

// Notify implements org.freedesktop.Notifications.Notify.
func (s *Server) Notify(appName string, replacesID uint32, appIcon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{AppName: appName, Summary: summary, Body: body})
	s.next++
	return s.next, nil
}

// GetCapabilities implements the method clients may call before Notify.
func (s *Server) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"body"}, nil
}

// GetServerInformation implements the method clients may call first.
func (s *Server) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "notifytest", "clawbridge", "1", "1.2", nil
}

// CloseNotification implements the method; there is nothing to close.
func (s *Server) CloseNotification(id uint32) *dbus.Error { return nil }

// Calls returns the Notify calls so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// WaitFor waits until a call's summary contains summary, failing the test
// after timeout (a hang guard, not a performance assertion).
func (s *Server) WaitFor(t testing.TB, summary string, timeout time.Duration) Call {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, c := range s.Calls() {
			if strings.Contains(c.Summary, summary) {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifytest: no notification %q within %v; got %s", summary, timeout, fmt.Sprint(s.Calls()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
