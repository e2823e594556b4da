//go:build !unix

package ollamatest

import "os/exec"

// Without process groups, ollama serve itself is stopped; it unloads its
// runners on the way out.
func setProcessGroup(cmd *exec.Cmd) {}

func terminateGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
