package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// e2eLogs holds the log of every clawbridge process the suite started
// (serve and run, both at debug level), for the scan after the last test.
var e2eLogs struct {
	mu   sync.Mutex
	bufs []*e2eLogBuffer
}

// newE2ELog returns a buffer for one process's log, registered for the
// final scan.
func newE2ELog() *e2eLogBuffer {
	b := &e2eLogBuffer{}
	e2eLogs.mu.Lock()
	e2eLogs.bufs = append(e2eLogs.bufs, b)
	e2eLogs.mu.Unlock()
	return b
}

// e2eSecret matches every secret the suite hands to clawbridge: the master
// key (sent by every SDK, pi-ai and Clawdbot request), the wrong keys of
// the auth cases, and the fake Claude CLI OAuth access and refresh tokens
// the guard cases plant. None may appear in any log line.
var e2eSecret = regexp.MustCompile(regexp.QuoteMeta(e2eMasterKey) + `|sk-wrong-|sk-ant-o[ar]t`)

// TestMain runs the suite, then reads every line that every clawbridge
// process it started wrote to its log, and fails the run when one holds a
// secret. The single-purpose tests (TestServeNeverLogsKeys and the
// daemon's TestSecretsNeverLogged) check the paths they aim at; this scan
// covers everything else the suite happened to make clawbridge log.
func TestMain(m *testing.M) {
	if spec := os.Getenv(trayChildEnv); spec != "" {
		os.Exit(runTrayChild(spec))
	}
	code := m.Run()
	e2eLogs.mu.Lock()
	logs := make([]string, len(e2eLogs.bufs))
	for i, b := range e2eLogs.bufs {
		logs[i] = b.String()
	}
	e2eLogs.mu.Unlock()
	lines, leaks := scanLogs(logs, e2eSecret)
	if len(logs) > 0 {
		fmt.Fprintf(os.Stderr, "log scan: %d lines from %d clawbridge processes, %d holding a secret\n", lines, len(logs), len(leaks))
	}
	for _, l := range leaks {
		fmt.Fprintf(os.Stderr, "log scan: a secret in a log line: %s\n", l)
		code = 1
	}
	os.Exit(code)
}

// scanLogs counts the lines of logs and returns those secret matches,
// with the secret itself masked so the failure report does not repeat it.
func scanLogs(logs []string, secret *regexp.Regexp) (lines int, leaks []string) {
	for _, log := range logs {
		sc := bufio.NewScanner(strings.NewReader(log))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines++
			if line := sc.Text(); secret.MatchString(line) {
				leaks = append(leaks, secret.ReplaceAllString(line, "<SECRET>"))
			}
		}
	}
	return lines, leaks
}

// TestScanLogs shows the final scan finds a secret wherever a line holds
// one, and only there.
func TestScanLogs(t *testing.T) {
	logs := []string{
		"level=INFO msg=listening addr=127.0.0.1:4000\nlevel=DEBUG msg=request model=claude-sonnet-4-5\n",
		"level=DEBUG msg=auth header=\"Bearer " + e2eMasterKey + "\"\n",
		"level=INFO msg=restored profile=anthropic:default\nlevel=DEBUG msg=creds access=sk-ant-oat01-abc\nlevel=DEBUG msg=key got=sk-wrong-123",
	}
	lines, leaks := scanLogs(logs, e2eSecret)
	if lines != 6 {
		t.Errorf("lines = %d, want 6", lines)
	}
	if len(leaks) != 3 {
		t.Fatalf("leaks = %q, want the 3 lines with a secret", leaks)
	}
	for _, l := range leaks {
		if e2eSecret.MatchString(l) || !strings.Contains(l, "<SECRET>") {
			t.Errorf("leak report %q should mask the secret", l)
		}
	}
}
