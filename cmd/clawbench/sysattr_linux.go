package main

import "syscall"

// childAttr makes the kernel kill a server under test when clawbench
// dies, so that an interrupted run leaves no process behind.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
