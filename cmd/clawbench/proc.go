package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a server under test, running as a child process so that its
// CPU time and memory can be read from /proc/<pid>.
type proc struct {
	name string
	cmd  *exec.Cmd
	// base is the server's address, http://host:port.
	base string
	// logPath collects the child's output (stderr, and stdout after the
	// address line).
	logPath string
	// ready is how long it took from exec to the address line or the
	// first HTTP answer.
	ready time.Duration

	exited  chan struct{}
	waitErr error
}

// startProc starts cmd with its output in logDir/<name>.log. With base
// empty it waits for a "listening on http://ADDR" line on stdout (what
// clawbridge serve, fake and proxy print); otherwise it polls base+probe
// until any HTTP answer comes (claude-code-router prints nothing useful).
func startProc(ctx context.Context, name string, cmd *exec.Cmd, logDir, base, probe string) (*proc, error) {
	logPath := filepath.Join(logDir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = pw, logFile
	cmd.SysProcAttr = childAttr()
	p := &proc{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	pw.Close()
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()

	// The reader keeps its own descriptor of the log: the rest of stdout
	// goes there too.
	rest, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		rest = nil
	}
	addr := make(chan string, 1)
	go func() {
		defer pr.Close()
		if rest != nil {
			defer rest.Close()
		}
		br := bufio.NewReader(pr)
		sent := false
		for {
			line, err := br.ReadString('\n')
			if a, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on "); ok && !sent {
				addr <- a
				sent = true
			} else if line != "" && rest != nil {
				rest.WriteString(line)
			}
			if err != nil {
				return
			}
		}
	}()

	wait, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if base == "" {
		select {
		case a := <-addr:
			p.base, p.ready = a, time.Since(start)
			return p, nil
		case <-p.exited:
			return nil, fmt.Errorf("%s exited before listening (%v); see %s:\n%s", name, p.waitErr, logPath, tail(logPath, 20))
		case <-wait.Done():
			p.stop()
			return nil, fmt.Errorf("%s did not say where it listens within 60s; see %s:\n%s", name, logPath, tail(logPath, 20))
		}
	}
	p.base = base
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		if resp, err := hc.Get(base + probe); err == nil {
			resp.Body.Close()
			p.ready = time.Since(start)
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited before answering (%v); see %s:\n%s", name, p.waitErr, logPath, tail(logPath, 20))
		case <-wait.Done():
			p.stop()
			return nil, fmt.Errorf("%s did not answer on %s within 60s; see %s:\n%s", name, base, logPath, tail(logPath, 20))
		case <-time.After(time.Millisecond):
		}
	}
}

// pid is the child's process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// stop asks the child to end (SIGTERM), and kills it if it has not
// within five seconds.
func (p *proc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// alive reports an error if the child has exited.
func (p *proc) alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited (%v); see %s:\n%s", p.name, p.waitErr, p.logPath, tail(p.logPath, 20))
	default:
		return nil
	}
}

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// which Linux fixes at 100 on every architecture Go supports.
const clockTick = 10 * time.Millisecond

// cpuTime is the CPU time (user and system, all threads) the process has
// used so far, from /proc/<pid>/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// parseStatCPU reads utime and stime (fields 14 and 15) from the contents
// of /proc/<pid>/stat. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from the last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat: no ')'")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed /proc stat: %d fields after the name", len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("malformed /proc stat: %w", err)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// syscalls is how many read and write system calls (read, write, send,
// recv and their kin) a process has made so far, from /proc/<pid>/io: a
// relay that writes each token on its own makes one write per token, one
// that copies what it has read makes fewer under load.
func syscalls(pid int) (reads, writes int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, 0, err
	}
	return parseIOSyscalls(b)
}

func parseIOSyscalls(io []byte) (reads, writes int64, err error) {
	found := 0
	for _, line := range strings.Split(string(io), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != "syscr" && k != "syscw" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("malformed /proc io line %q", line)
		}
		if k == "syscr" {
			reads = n
		} else {
			writes = n
		}
		found++
	}
	if found != 2 {
		return 0, 0, errors.New("no syscr and syscw in /proc io")
	}
	return reads, writes, nil
}

// memory is a process's resident memory now (VmRSS) and at its peak
// (VmHWM), in bytes, from /proc/<pid>/status.
func memory(pid int) (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	return parseStatusMemory(b)
}

func parseStatusMemory(status []byte) (rss, peak int64, err error) {
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != "VmRSS" && k != "VmHWM" {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("malformed /proc status line %q", line)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("malformed /proc status line %q", line)
		}
		if k == "VmRSS" {
			rss = n << 10
		} else {
			peak = n << 10
		}
	}
	if rss == 0 || peak == 0 {
		return 0, 0, errors.New("no VmRSS or VmHWM in /proc status")
	}
	return rss, peak, nil
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
