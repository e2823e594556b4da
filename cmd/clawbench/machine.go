package main

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// machine describes where the numbers come from.
type machine struct {
	cpu                 string
	cores               int
	memory              string
	kernel              string
	goVersion           string // clawbench's toolchain
	clawbridgeGo        string // the toolchain that built the measured binary
	clawbridgeVersion   string
	node, ccrVersion    string
	loadBefore, loadEnd string
	share               *machineShare
}

func describeMachine(o *options) machine {
	m := machine{cores: runtime.NumCPU(), goVersion: runtime.Version(), cpu: "unknown CPU"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			var kb int64
			if n, _ := fmt.Sscanf(line, "MemTotal: %d kB", &kb); n == 1 {
				m.memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if bi, err := buildinfo.ReadFile(o.clawbridge); err == nil {
		m.clawbridgeGo = bi.GoVersion
	}
	if out, err := exec.Command(o.clawbridge, "version").Output(); err == nil {
		m.clawbridgeVersion = firstLine(string(out))
	}
	if out, err := exec.Command(o.node, "--version").Output(); err == nil {
		m.node = firstLine(string(out))
	}
	if o.ccrDir != "" {
		if b, err := os.ReadFile(strings.TrimSuffix(ccrCLI(o.ccrDir), "dist/cli.js") + "package.json"); err == nil {
			if i := strings.Index(string(b), `"version": "`); i >= 0 {
				m.ccrVersion, _, _ = strings.Cut(string(b[i+len(`"version": "`):]), `"`)
			}
		}
	}
	m.loadBefore = loadAvg()
	m.share = startShare()
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
