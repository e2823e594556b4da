//go:build unix

package gateway

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// ownProcessGroup puts the child in its own process group, so stopping it
// also stops whatever it started (node spawns helpers).
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// terminateGroup sends SIGTERM (or SIGKILL) to the child's process group.
func terminateGroup(cmd *exec.Cmd, kill bool) {
	if err := signalGroup(cmd.Process.Pid, kill); err != nil {
		if kill {
			cmd.Process.Signal(syscall.SIGKILL)
		} else {
			cmd.Process.Signal(syscall.SIGTERM)
		}
	}
}

// groupAlive reports whether any process of the child's group is left.
func groupAlive(cmd *exec.Cmd) bool { return groupExists(cmd.Process.Pid) }

// signalGroup sends SIGTERM (or SIGKILL) to process group pgid.
func signalGroup(pgid int, kill bool) error {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	return syscall.Kill(-pgid, sig)
}

// groupExists reports whether any process of group pgid is left.
func groupExists(pgid int) bool {
	return !errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}

// procStart is when process pid started, as a string that differs for
// any later process given the same pid, and an error when pid is not
// running or is not the leader of its own group. It asks ps (its lstart,
// in UTC and the C locale so the answer does not depend on the session),
// which macOS and Linux both have; on Linux /proc's start time in clock
// ticks is exact and needs no program.
func procStart(pid int) (string, error) {
	if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		return procStatStart(pid, string(st))
	}
	return psProcStart(pid)
}

// psProcStart is procStart from ps: macOS and the BSDs.
func psProcStart(pid int) (string, error) {
	cmd := exec.Command("ps", "-o", "pgid=", "-o", "lstart=", "-p", strconv.Itoa(pid))
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("process %d: not running (ps: %w)", pid, err)
	}
	return psStart(pid, string(out))
}

// procStatStart reads the start time from /proc/<pid>/stat: the fields
// after the command name, which is in parentheses and may hold anything.
func procStatStart(pid int, stat string) (string, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return "", fmt.Errorf("process %d: unreadable stat %q", pid, stat)
	}
	// After ")": state ppid pgrp session tty tpgid flags minflt cminflt
	// majflt cmajflt utime stime cutime cstime priority nice threads
	// itrealvalue starttime.
	f := strings.Fields(stat[i+1:])
	if len(f) < 20 {
		return "", fmt.Errorf("process %d: short stat %q", pid, stat)
	}
	if f[0] == "Z" {
		return "", fmt.Errorf("process %d: a zombie", pid)
	}
	if f[2] != strconv.Itoa(pid) {
		return "", fmt.Errorf("process %d: not a process group leader (group %s)", pid, f[2])
	}
	return "ticks:" + f[19], nil
}

// psStart reads `ps -o pgid= -o lstart=`'s line for pid.
func psStart(pid int, out string) (string, error) {
	f := strings.Fields(out)
	if len(f) < 2 {
		return "", fmt.Errorf("process %d: not running", pid)
	}
	if f[0] != strconv.Itoa(pid) {
		return "", fmt.Errorf("process %d: not a process group leader (group %s)", pid, f[0])
	}
	return "lstart:" + strings.Join(f[1:], " "), nil
}
