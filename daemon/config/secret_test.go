package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestEditKeepsKeysPrivate checks the modes the tray's edits leave: a
// config that holds a key itself is readable by its owner only after any
// edit, whatever its mode was; one whose keys come from the environment
// keeps its mode; a new config is 0600 (TestLoadOrCreate).
func TestEditKeepsKeysPrivate(t *testing.T) {
	const models = "model_list:\n  - model_name: claude-sonnet-4-5\n    litellm_params: {model: ollama/llama3.1:8b}\n"
	t.Setenv("CLAWBRIDGE_TEST_KEY", "sk-from-env-123456")
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    os.FileMode
	}{
		{"master_key, 0600", models + "general_settings: {master_key: sk-local-123456}\n", 0o600, 0o600},
		{"master_key, 0644", models + "general_settings: {master_key: sk-local-123456}\n", 0o644, 0o600},
		{"guard key, 0640", models + "clawbridge: {guard: {key: sk-guard-123456}}\n", 0o640, 0o600},
		{"api_key, 0644", "model_list:\n  - model_name: claude-sonnet-4-5\n    litellm_params: {model: openai/m, api_base: 'http://127.0.0.1:8000/v1', api_key: sk-vllm-123456}\n", 0o644, 0o600},
		{"key from the environment, 0644", models + "general_settings: {master_key: os.environ/CLAWBRIDGE_TEST_KEY}\n", 0o644, 0o644},
		{"no key, 0644", models, 0o644, 0o644},
	}
	edits := map[string]func(path string) error{
		"SetAliasModel": func(path string) error { return SetAliasModel(path, "claude-sonnet-4-5", "qwen3:8b") },
		"SetSetting":    func(path string) error { return SetSetting(path, []string{"listen"}, "127.0.0.1:4100") },
	}
	for _, tt := range tests {
		for name, edit := range edits {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "config.yaml")
				if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.mode); err != nil {
					t.Fatal(err)
				}
				if err := edit(path); err != nil {
					t.Fatal(err)
				}
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != tt.want {
					t.Errorf("mode %v after the edit, want %v", fi.Mode().Perm(), tt.want)
				}
			})
		}
	}
}
