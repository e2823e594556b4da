//go:build !linux

package main

import "syscall"

// childAttr has nothing to set where there is no parent-death signal;
// clawbench measures through /proc and so runs only on Linux anyway.
func childAttr() *syscall.SysProcAttr { return nil }
