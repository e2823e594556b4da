package daemon

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestNewLogsIgnoredKeys: what `clawbridge run --debug` shows: one debug
// line per config key clawbridge does not use, as `serve -debug` does.
func TestNewLogsIgnoredKeys(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	mustWrite(t, cfgPath, "router_settings:\n  routing_strategy: simple-shuffle\nclawbridge:\n  lisen: 127.0.0.1:4111\n")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := New(Options{ConfigPath: cfgPath, RuntimeDir: dir, Home: dir, LogDir: dir, Logger: log, Notifier: quietNotifier(t)}); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `msg="config key not used by clawbridge"`) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 || !strings.Contains(lines[0], "level=DEBUG") ||
		!strings.Contains(logs.String(), "router_settings") || !strings.Contains(logs.String(), "clawbridge.lisen") {
		t.Errorf("want one debug line per ignored key (router_settings, clawbridge.lisen); log:\n%s", logs.String())
	}
}
