package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clawbridge/clawbridge/assets"
)

func addSeeds(f *testing.F) {
	f.Add(assets.DefaultConfig)
	files, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("testdata/*/*.yaml")
	for _, file := range append(files, more...) {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
}

// FuzzParse checks that no input crashes Parse and that a config it
// accepts can route every name it lists.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parse(data, "config.yaml", lookupTestEnv)
		if err != nil {
			return
		}
		for _, name := range cfg.ModelNames() {
			if _, err := cfg.Route(name); err != nil {
				t.Errorf("Route(%q) of a configured name: %v", name, err)
			}
		}
	})
}

// FuzzSetSetting checks that an edit of any file either fails, leaving the
// file alone, or leaves a file that parses and holds the new value.
func FuzzSetSetting(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		err := SetSetting(path, []string{"listen"}, "127.0.0.1:4100")
		out, rerr := os.ReadFile(path)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil {
			if string(out) != string(data) {
				t.Errorf("failed edit (%v) changed the file", err)
			}
			return
		}
		cfg, err := parse(out, "config.yaml", lookupTestEnv)
		if err != nil {
			t.Fatalf("edited file does not parse: %v", err)
		}
		if cfg.Clawbridge.Listen != "127.0.0.1:4100" {
			t.Errorf("listen = %q after the edit", cfg.Clawbridge.Listen)
		}
	})
}

// FuzzSetAliasModel is the tray's model switch on any file: it either
// fails and leaves the file byte for byte (and its mode) alone, or leaves a
// file that parses, keeps its mode (less group and other bits when the
// file holds a key), points every entry named after the alias at the new
// model with the entry's provider, and leaves every other entry's model as
// it was.
func FuzzSetAliasModel(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		const alias, model = "claude-sonnet-4-5", "qwen3:8b"
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, data, 0o640); err != nil {
			t.Fatal(err)
		}
		before, _ := Parse(data, "config.yaml") // as the editor reads it
		err := SetAliasModel(path, alias, model)
		out, rerr := os.ReadFile(path)
		if rerr != nil {
			t.Fatal(rerr)
		}
		wantMode := os.FileMode(0o640)
		if err == nil && string(out) != string(data) && holdsSecret(out, path) {
			wantMode = 0o600
		}
		if fi, serr := os.Stat(path); serr != nil || fi.Mode().Perm() != wantMode {
			t.Fatalf("mode after the edit: %v, %v; want %v", fi, serr, wantMode)
		}
		if err != nil {
			if string(out) != string(data) {
				t.Errorf("failed edit (%v) changed the file", err)
			}
			return
		}
		cfg, err := Parse(out, "config.yaml")
		if err != nil {
			t.Fatalf("edited file does not parse: %v", err)
		}
		if before != nil && len(before.ModelList) != len(cfg.ModelList) {
			t.Fatalf("%d entries before the edit, %d after", len(before.ModelList), len(cfg.ModelList))
		}
		for i, e := range cfg.ModelList {
			if e.ModelName == alias {
				if _, _, name, ok := splitProvider(e.LiteLLMParams.Model); !ok || name != model {
					t.Errorf("entry %d model = %q after the edit", i, e.LiteLLMParams.Model)
				}
			} else if before != nil && before.ModelList[i].LiteLLMParams.Model != e.LiteLLMParams.Model {
				t.Errorf("entry %d (%s) changed from %q to %q", i, e.ModelName, before.ModelList[i].LiteLLMParams.Model, e.LiteLLMParams.Model)
			}
		}
	})
}
