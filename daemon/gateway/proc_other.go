//go:build !unix

package gateway

import "os/exec"

func ownProcessGroup(cmd *exec.Cmd) {}

func terminateGroup(cmd *exec.Cmd, kill bool) { cmd.Process.Kill() }

func groupAlive(cmd *exec.Cmd) bool { return false }
