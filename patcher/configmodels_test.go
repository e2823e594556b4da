package patcher

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestConfigModelIDs(t *testing.T) {
	cfg, err := decodeConfig([]byte(`{
  agents: {
    defaults: {
      model: {primary: "anthropic/claude-sonnet-5", fallbacks: ["anthropic/claude-haiku-4-5", "ollama/tiny"]},
      models: {"anthropic/claude-opus-4-6": {alias: "opus"}, "openai/gpt-5": {}},
    },
    list: [{id: "work", model: "anthropic/claude-sonnet-5"}, {id: "x", model: {primary: "anthropic/claude-fable-5"}}],
  },
}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"claude-fable-5", "claude-haiku-4-5", "claude-opus-4-6", "claude-sonnet-5"}
	if got := configModelIDs(cfg); !reflect.DeepEqual(got, want) {
		t.Errorf("ids %v, want %v", got, want)
	}
	if got := configModelIDs(map[string]any{"agents": "not an object"}); len(got) != 0 {
		t.Errorf("ids of a config without agents: %v", got)
	}
}

func TestOurModels(t *testing.T) {
	for _, tc := range []struct {
		name string
		list []any
		want bool
	}{
		{"empty", []any{}, true},
		{"ours", []any{map[string]any{"id": "claude-sonnet-5", "name": "claude-sonnet-5", "contextWindow": 65536.0,
			"compat": map[string]any{"supportsTools": true}}}, true},
		{"with maxTokens", []any{map[string]any{"id": "a", "name": "a", "contextWindow": 1.0, "maxTokens": 1.0}}, false},
		{"other compat", []any{map[string]any{"id": "a", "name": "a", "contextWindow": 1.0, "compat": map[string]any{"supportsTools": false}}}, false},
		{"more keys", []any{map[string]any{"id": "a", "name": "a", "contextWindow": 1.0, "cost": 0.0}}, false},
		{"name differs", []any{map[string]any{"id": "a", "name": "A", "contextWindow": 1.0}}, false},
		{"no window", []any{map[string]any{"id": "a", "name": "a"}}, false},
		{"not an object", []any{"a"}, false},
	} {
		if got := ourModels(tc.list); got != tc.want {
			t.Errorf("%s: ourModels %v, want %v", tc.name, got, tc.want)
		}
	}
}

// SyncConfigModels lists each named Claude model with its window, keeps
// comments, follows the windows as they change, and leaves a list the
// user wrote alone.
func TestSyncConfigModels(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "openclaw.json")
	const base = "http://127.0.0.1:4000"
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`{
  // my agent
  "agents": {"defaults": {"model": {"primary": "anthropic/claude-sonnet-5", "fallbacks": ["anthropic/claude-opus-4-6"]}}}
}
`)
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	if _, err := PatchConfigWithKey(path, base, "sk-local", now); err != nil {
		t.Fatal(err)
	}
	windows := map[string]int{"claude-sonnet-5": 65536}
	lookup := func(id string) int { return windows[id] }
	models := func() any {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "// my agent") {
			t.Errorf("comment lost:\n%s", data)
		}
		cfg, err := decodeConfig(data)
		if err != nil {
			t.Fatal(err)
		}
		return dig(cfg, "models", "providers", "anthropic").(map[string]any)["models"]
	}

	changed, err := SyncConfigModels(path, lookup, now)
	if err != nil || !changed {
		t.Fatalf("first sync: changed %v, %v", changed, err)
	}
	entry := func(id string, window float64) any {
		return map[string]any{"id": id, "name": id, "contextWindow": window, "compat": map[string]any{"supportsTools": true}}
	}
	want := []any{entry("claude-sonnet-5", 65536)}
	if got := models(); !reflect.DeepEqual(got, want) {
		t.Errorf("models %v, want %v", got, want)
	}
	if changed, err := SyncConfigModels(path, lookup, now); err != nil || changed {
		t.Errorf("second sync: changed %v, %v; want no write", changed, err)
	}
	if st, err := InspectConfigWithKey(path, base, "sk-local"); err != nil || !st.Patched {
		t.Errorf("inspect after the sync: %+v, %v", st, err)
	}

	windows["claude-opus-4-6"] = 32768
	if _, err := SyncConfigModels(path, lookup, now); err != nil {
		t.Fatal(err)
	}
	windows["claude-opus-4-6"] = 16384
	if _, err := SyncConfigModels(path, lookup, now); err != nil {
		t.Fatal(err)
	}
	want = append([]any{entry("claude-opus-4-6", 16384)}, want...)
	if got := models(); !reflect.DeepEqual(got, want) {
		t.Errorf("models %v, want %v", got, want)
	}

	// The route can still be undone with clawbridge's models in it.
	if _, err := UndoConfig(path, now); err != nil {
		t.Fatalf("undo with clawbridge's models listed: %v", err)
	}

	// A list the user wrote is theirs.
	write(`{"models": {"providers": {"anthropic": {"baseUrl": "` + base + `", "api": "anthropic-messages", "models": [{"id": "claude-sonnet-5", "contextWindow": 1000, "cost": {"input": 0}}]}}},
  "agents": {"defaults": {"model": "anthropic/claude-sonnet-5"}}}`)
	before, _ := os.ReadFile(path)
	if changed, err := SyncConfigModels(path, lookup, now); err != nil || changed {
		t.Errorf("sync over the user's list: changed %v, %v", changed, err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("the user's list was rewritten:\n%s", after)
	}
}
