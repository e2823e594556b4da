//go:build !unix

package gateway

import (
	"errors"
	"os/exec"
)

func ownProcessGroup(cmd *exec.Cmd) {}

func terminateGroup(cmd *exec.Cmd, kill bool) { cmd.Process.Kill() }

func groupAlive(cmd *exec.Cmd) bool { return false }

var errNoGroups = errors.New("process groups are a unix feature")

func signalGroup(pgid int, kill bool) error { return errNoGroups }

func groupExists(pgid int) bool { return false }

func procStart(pid int) (string, error) { return "", errNoGroups }
