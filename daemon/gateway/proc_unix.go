//go:build unix

package gateway

import (
	"errors"
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the child in its own process group, so stopping it
// also stops whatever it started (node spawns helpers).
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// terminateGroup sends SIGTERM (or SIGKILL) to the child's process group.
func terminateGroup(cmd *exec.Cmd, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil {
		cmd.Process.Signal(sig)
	}
}

// groupAlive reports whether any process of the child's group is left.
func groupAlive(cmd *exec.Cmd) bool {
	return !errors.Is(syscall.Kill(-cmd.Process.Pid, 0), syscall.ESRCH)
}
