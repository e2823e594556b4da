package daemon

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

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

// listenExplained listens on addr and turns "address in use" into a
// PortInUseError that names the owner.
func listenExplained(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	e := &PortInUseError{Addr: addr}
	if port, perr := strconv.Atoi(portOf(addr)); perr == nil {
		e.PID, e.Command = portOwner(port)
	}
	return nil, e
}

// portOwner finds the process listening on TCP port, best effort: from
// /proc on Linux, from lsof elsewhere.
func portOwner(port int) (pid int, command string) {
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
