package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/patcher/atomicfile/crashtest"
)

func TestMain(m *testing.M) {
	crashtest.Child(map[string]func(dir string){"switch": switchForever})
	os.Exit(m.Run())
}

// killConfig holds a key, so it must stay 0600 through every edit.
const killConfig = `# edited by the tray while being killed
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params:
      model: ollama/qwen3:8b   # the tray switches this
  - model_name: claude-haiku-4-5
    litellm_params: {model: ollama/llama3.2:3b}
general_settings:
  master_key: sk-clawbridge-kill-test-key
`

// killModels are the models the killed tray switches between.
var killModels = []string{"llama3.1:8b", "qwen3:8b"}

// switchForever is the writer TestKillDuringConfigEdit kills: the tray's
// model switch, back and forth, as fast as it goes.
func switchForever(dir string) {
	path := filepath.Join(dir, "config.yaml")
	for i := 0; ; i++ {
		if err := SetAliasModel(path, "claude-sonnet-4-5", killModels[i%2]); err != nil {
			crashtest.Fail("%v", err)
		}
		if i == 1 {
			crashtest.Ready()
		}
	}
}

// TestKillDuringConfigEdit SIGKILLs the tray's model switch at random
// moments while it rewrites the config, 200 times. After every kill the
// config must be one of the versions the switch writes, whole, still 0600
// (it holds the master key); the daemon started next must load it and
// remove the temporary file a kill mid-write left.
func TestKillDuringConfigEdit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(killConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	// The versions the switch writes, made the same way on a copy.
	scratch := filepath.Join(t.TempDir(), "config.yaml")
	versions := [][]byte{[]byte(killConfig)}
	if err := os.WriteFile(scratch, []byte(killConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, m := range append(killModels, killModels...) {
		if err := SetAliasModel(scratch, "claude-sonnet-4-5", m); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, mustReadFile(t, scratch))
	}
	isVersion := func(b []byte) bool {
		for _, v := range versions {
			if bytes.Equal(b, v) {
				return true
			}
		}
		return false
	}

	midWrite := 0
	st := crashtest.Loop(t, "switch", dir, 200, 3*time.Millisecond, func(round int) {
		got := mustReadFile(t, path)
		if !isVersion(got) {
			t.Fatalf("round %d: the config is torn:\n%s", round, got)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("round %d: mode %v (%v), want 0600", round, fi.Mode().Perm(), err)
		}
		if len(configTemps(t, dir)) > 0 {
			midWrite++
		}
		// The daemon starts again and loads its config.
		cfg, created, err := LoadOrCreate(path)
		if err != nil || created || cfg.GeneralSettings.MasterKey != "sk-clawbridge-kill-test-key" {
			t.Fatalf("round %d: load after the kill: %v", round, err)
		}
		if temps := configTemps(t, dir); len(temps) > 0 {
			t.Fatalf("round %d: temporary files left after the daemon started: %v", round, temps)
		}
	})
	t.Logf("kill -9 during config edits: %d kills, %d of them left a temporary file (killed mid-write), 0 torn configs (seed %d)", st.Kills, midWrite, st.Seed)
}

// configTemps lists the files in dir other than config.yaml, failing on
// anything that is not one of the editor's temporary files.
func configTemps(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		switch n := e.Name(); {
		case n == "config.yaml":
		case strings.HasPrefix(n, ".config.yaml.tmp-"):
			out = append(out, n)
		default:
			t.Fatalf("unexpected file %s beside the config", n)
		}
	}
	return out
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
