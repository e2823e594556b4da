package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/clawbridge/clawbridge/patcher/atomicfile/crashtest"
)

// leftoverConfig holds a key, as a killed edit's temporary copy may.
const leftoverConfig = `model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/qwen3:8b}
general_settings:
  master_key: sk-clawbridge-leftover-test-key
`

// TestLeftoversOfAKilledEditGo checks what is config's own in a crash (the
// atomic write itself is patcher/atomicfile's TestKillDuringWrite): an edit
// killed before its rename leaves a temporary copy of the config beside
// it, and the daemon's next start (LoadOrCreate) removes it, as does the
// next edit, also beside the target of a symlinked config.
func TestLeftoversOfAKilledEditGo(t *testing.T) {
	runs := map[string]func(path string) error{
		"next start": func(path string) error {
			cfg, created, err := LoadOrCreate(path)
			if err == nil && (created || cfg.GeneralSettings.MasterKey != "sk-clawbridge-leftover-test-key") {
				t.Errorf("LoadOrCreate: created %v, master key %v", created, cfg.GeneralSettings.MasterKey != "")
			}
			return err
		},
		"next edit": func(path string) error { return SetAliasModel(path, "claude-sonnet-4-5", "llama3.1:8b") },
	}
	for name, run := range runs {
		for _, linked := range []bool{false, true} {
			t.Run(name+map[bool]string{true: ", symlinked config"}[linked], func(t *testing.T) {
				dir := t.TempDir()
				real := filepath.Join(dir, "config.yaml")
				path := real
				if linked {
					real = filepath.Join(dir, "dotfiles", "clawbridge.yaml")
					if err := os.Mkdir(filepath.Dir(real), 0o700); err != nil {
						t.Fatal(err)
					}
					if err := os.Symlink(real, path); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.WriteFile(real, []byte(leftoverConfig), 0o600); err != nil {
					t.Fatal(err)
				}
				temp := crashtest.LeaveTemp(t, real, []byte(leftoverConfig[:40]))
				if err := run(path); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(temp); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the killed edit's temporary file is still there (%v)", err)
				}
			})
		}
	}
}
