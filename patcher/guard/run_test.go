package guard

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRunFollowsClawdbot runs the guard with a real file watcher over a
// home directory where Clawdbot has not run yet, then plays Clawdbot's
// writes: its first run (creating the agent directory and a store holding
// only the Claude CLI profile), a sync that rewrites the file in place, and
// the data-loss rebuild.
func TestRunFollowsClawdbot(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, ".clawdbot", "agents", "main", "agent")
	path := filepath.Join(dir, FileName)
	events := make(chan Event, 1000)
	g, err := New(Options{
		Key:        testKey,
		Home:       home,
		Getenv:     func(string) string { return "" },
		Debounce:   20 * time.Millisecond,
		RetryDelay: time.Millisecond,
		OnEvent:    func(e Event) { events <- e },
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()

	// waitFor looks at the file after each event, and every few
	// milliseconds (the guard reports only what it changes), until the
	// file satisfies cond.
	waitFor := func(what string, cond func(storeJSON) bool) {
		t.Helper()
		deadline := time.After(hangGuard)
		poll := time.NewTicker(5 * time.Millisecond)
		defer poll.Stop()
		for {
			if data, err := os.ReadFile(path); err == nil {
				var s storeJSON
				if json.Unmarshal(data, &s) == nil && cond(s) {
					return
				}
			}
			select {
			case e := <-events:
				if e.Kind == Failed {
					t.Fatalf("guard failed: %v", e.Err)
				}
			case <-poll.C:
			case <-deadline:
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	pinned := func(s storeJSON) bool {
		var key string
		json.Unmarshal(s.Profiles[DefaultProfile]["key"], &key)
		return key == testKey && len(s.Order["anthropic"]) == 1 && s.Order["anthropic"][0] == DefaultProfile &&
			s.LastGood["anthropic"] == DefaultProfile
	}

	// Clawdbot's first run.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	claudeOnly := testdata(t, "recover/rebuilt.in.json")
	if err := os.WriteFile(path, claudeOnly, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor("the first store to be pinned", func(s storeJSON) bool {
		_, ok := s.Profiles[ClaudeCLIProfile]
		return ok && pinned(s)
	})

	// The user's store as it is after a while, then a sync that writes
	// it back in place with lastGood pointing at the OAuth profile.
	full := testdata(t, "recover/rebuilt.last.json")
	os.WriteFile(path, full, 0o600)
	waitFor("the guard to learn the full store", func(s storeJSON) bool {
		b, _ := os.ReadFile(path + BackupSuffix)
		return string(b) == string(full)
	})
	var s map[string]any
	json.Unmarshal(full, &s)
	s["lastGood"].(map[string]any)["anthropic"] = ClaudeCLIProfile
	synced, _ := json.MarshalIndent(s, "", "  ")
	os.WriteFile(path, synced, 0o600)
	waitFor("lastGood to be pinned again", pinned)

	// The data-loss path.
	os.WriteFile(path, claudeOnly, 0o600)
	waitFor("the lost profiles to come back", func(s storeJSON) bool {
		_, openai := s.Profiles["openai:default"]
		_, stats := s.UsageStats["openai:default"]
		return pinned(s) && openai && stats
	})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("Run did not return after cancel")
	}
}
