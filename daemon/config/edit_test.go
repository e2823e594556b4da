package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/assets"
	"github.com/clawbridge/clawbridge/daemon/golden"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// writeTemp writes content to a config.yaml in a fresh directory.
func writeTemp(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func setAlias(alias, model string) func(string) error {
	return func(path string) error { return SetAliasModel(path, alias, model) }
}

func setListen(addr string) func(string) error {
	return func(path string) error { return SetSetting(path, []string{"listen"}, addr) }
}

func setWarmup(on bool) func(string) error {
	return func(path string) error { return SetSetting(path, []string{"models", "warmup"}, on) }
}

// TestEdits checks each edit's output against a golden file. Apart from
// the edited values, the output must be the input byte for byte: comments,
// blank lines, quoting and indentation are the user's.
func TestEdits(t *testing.T) {
	t.Setenv("VLLM_KEY", "k") // not used by these files, but harmless
	tests := []struct {
		name    string
		input   string
		edit    func(string) error
		changed int // lines that may differ when the line count is unchanged; -1 skips the check
	}{
		{"default-alias", string(assets.DefaultConfig), setAlias("claude-sonnet-4-5", "qwen3:8b"), 1},
		{"default-listen", string(assets.DefaultConfig), setListen("0.0.0.0:4000"), 1},
		{"commented-alias", readTestdata(t, "edit/commented.yaml"), setAlias("claude-sonnet-4-5", "qwen3:32b"), 2},
		{"commented-alias-flow", readTestdata(t, "edit/commented.yaml"), setAlias("claude-haiku-4-5", "qwen3:8b"), 1},
		{"commented-listen", readTestdata(t, "edit/commented.yaml"), setListen("[::1]:4001"), 1},
		{"litellm-alias-needs-quotes", readTestdata(t, "litellm.yaml"), setAlias("claude-haiku-4-5", "my model, v2"), 1},
		{"litellm-new-section", readTestdata(t, "litellm.yaml"), setListen("127.0.0.1:4100"), -1},
		{"null-section", readTestdata(t, "edit/null-section.yaml"), setListen("127.0.0.1:4100"), -1},
		{"flow-section", readTestdata(t, "edit/flow-section.yaml"), setListen("127.0.0.1:4100"), -1},
		{"insert-after-key", "clawbridge:\n  future: x   # comment\n\nmodel_list: []\n", setListen("127.0.0.1:4100"), -1},
		{"insert-no-final-newline", "clawbridge:\n  future: x", setListen("127.0.0.1:4100"), -1},
		{"insert-after-nested", "clawbridge:\n  future:\n    deeper: [a, b]\n    deepest:\n# trailing comment\n", setListen("127.0.0.1:4100"), -1},
		{"empty-file", "", setListen("127.0.0.1:4100"), -1},
		{"comments-only", "# nothing here yet\n", setListen("127.0.0.1:4100"), -1},
		{"crlf", readTestdata(t, "edit/crlf.yaml"), func(path string) error {
			if err := SetAliasModel(path, "claude-haiku-4-5", "qwen3:8b"); err != nil {
				return err
			}
			return SetSetting(path, []string{"listen"}, "127.0.0.1:4100")
		}, -1},
		{"double-quoted", "clawbridge:\n  listen: \"127.0.0.1:4000\"  # q\n", setListen("127.0.0.1:4100"), 1},
		{"single-quoted-with-quote", "model_list:\n- model_name: a\n  litellm_params: {model: 'ollama/x'}\n", setAlias("a", "it's"), 1},
		{"double-quoted-escapes", "model_list:\n- model_name: a\n  litellm_params:\n    model: \"ollama/\\x41\\\"b\"\n", setAlias("a", "new\"one"), 1},
		{"anchored-value", "clawbridge:\n  listen: &l 127.0.0.1:4000 # anchored\n", setListen("127.0.0.1:4100"), -1},
		{"explicit-null-section", "model_list: []\nclawbridge: ~\n", setListen("127.0.0.1:4100"), -1},
		{"after-block-scalar", "clawbridge:\n  future: |\n    text\n    more\nmodel_list: []\n", setListen("127.0.0.1:4100"), -1},
		{"default-warmup", string(assets.DefaultConfig), setWarmup(true), -1},
		{"commented-warmup", readTestdata(t, "edit/commented.yaml"), setWarmup(true), -1},
		{"warmup-off", "clawbridge:\n  models:\n    warmup: true   # keep them loaded\n  listen: 127.0.0.1:4000\n", setWarmup(false), 1},
		{"unchanged", "clawbridge:\n  listen: 127.0.0.1:4000 # same\n", setListen("127.0.0.1:4000"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, tt.input)
			if err := tt.edit(path); err != nil {
				t.Fatal(err)
			}
			out, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(out, path); err != nil {
				t.Fatalf("edited file does not parse: %v", err)
			}
			golden.Check(t, filepath.Join("testdata", "edit", tt.name+".golden"), out)
			if tt.changed >= 0 {
				if n := changedLines(t, tt.input, string(out)); n != tt.changed {
					t.Errorf("%d lines changed, want %d", n, tt.changed)
				}
			}
		})
	}
}

func changedLines(t *testing.T, before, after string) int {
	t.Helper()
	a, b := strings.Split(before, "\n"), strings.Split(after, "\n")
	if len(a) != len(b) {
		t.Fatalf("line count changed from %d to %d", len(a), len(b))
	}
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

func TestSetAliasModelReadsBack(t *testing.T) {
	path := writeTemp(t, readTestdata(t, "edit/commented.yaml"))
	if err := SetAliasModel(path, "claude-sonnet-4-5", "qwen3:32b"); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := cfg.Route("claude-sonnet-4-5")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Deployments) != 2 ||
		r.Deployments[0].Provider != "ollama" || r.Deployments[0].Model != "qwen3:32b" ||
		r.Deployments[1].Provider != "openai" || r.Deployments[1].Model != "qwen3:32b" {
		t.Errorf("deployments after edit = %+v", r.Deployments)
	}
	if r, _ := cfg.Route("claude-haiku-4-5"); r.Deployments[0].Model != "llama3.2:3b" {
		t.Errorf("an entry with another model_name changed: %+v", r.Deployments)
	}
}

// TestEditRefusals checks edits that must fail leave the file untouched.
func TestEditRefusals(t *testing.T) {
	shared := readTestdata(t, "edit/shared.yaml")
	tests := []struct {
		name, input string
		edit        func(string) error
		want        string
	}{
		{"unknown alias", readTestdata(t, "litellm.yaml"), setAlias("gpt-4o", "x"),
			`model "gpt-4o" is not configured; configured model_name values: claude-haiku-4-5`},
		{"empty model", readTestdata(t, "litellm.yaml"), setAlias("claude-haiku-4-5", ""), `invalid backend model name ""`},
		{"anchored params", shared, setAlias("claude-sonnet-4-5", "x"), `line 3: model_list[0].litellm_params is not written in the entry (missing, or shared through a YAML anchor)`},
		{"merged model", shared, setAlias("claude-haiku-4-5", "x"), `line 7: model_list[1].litellm_params.model is not written in the entry`},
		{"anchored model", "model_list:\n- {model_name: a, litellm_params: {model: &m ollama/x}}\n- {model_name: b, litellm_params: {model: *m}}\n", setAlias("a", "y"),
			`line 2: model_list[0].litellm_params.model is an anchor (&m) used elsewhere too`},
		{"anchored setting", "clawbridge:\n  listen: &l 127.0.0.1:4000\nx: *l\n", setListen("127.0.0.1:4100"),
			`line 2: clawbridge.listen is an anchor (&l) used elsewhere too`},
		{"model from environment", shared, setAlias("claude-opus-4-5", "x"), `comes from the environment (os.environ/OPUS_MODEL); change it there`},
		{"invalid result", string(assets.DefaultConfig), setListen("nope"),
			`the edited config would be invalid, so it was not saved:`},
		{"unknown setting", string(assets.DefaultConfig), func(p string) error { return SetSetting(p, []string{"lisen"}, "x") },
			`clawbridge.lisen is not a setting`},
		{"setting below a value", string(assets.DefaultConfig), func(p string) error { return SetSetting(p, []string{"listen", "port"}, 1) },
			`clawbridge.listen is not a group of settings`},
		{"wrong type", string(assets.DefaultConfig), func(p string) error { return SetSetting(p, []string{"listen"}, 4000) },
			`want a string value, got int`},
		{"no key", string(assets.DefaultConfig), func(p string) error { return SetSetting(p, nil, "x") }, `no key given`},
		{"section is a list", "clawbridge: [a]\n", setListen("127.0.0.1:4000"), `line 1: clawbridge is a list, not a mapping`},
		{"document is a value", "just text\n", setListen("127.0.0.1:4000"), `line 1: the document is "just text", not a mapping`},
		{"broken file", "clawbridge: [\n", setListen("127.0.0.1:4000"), `invalid YAML`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, tt.input)
			err := tt.edit(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if out, _ := os.ReadFile(path); string(out) != tt.input {
				t.Errorf("file changed by a refused edit:\n%s", out)
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
				t.Errorf("temporary files left behind: %v", entries)
			}
		})
	}

	var nf *NotFoundError
	if err := SetAliasModel(writeTemp(t, readTestdata(t, "litellm.yaml")), "gpt-4o", "x"); !errors.As(err, &nf) {
		t.Errorf("unknown alias error %T, want *NotFoundError", err)
	}
	if err := SetSetting(filepath.Join(t.TempDir(), "missing.yaml"), []string{"listen"}, "127.0.0.1:4000"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("editing a missing file: %v, want ErrNotExist", err)
	}
}

func TestEditKeepsModeAndLinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "dotfiles", "clawbridge.yaml")
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, assets.DefaultConfig, 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config.yaml")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := SetSetting(link, []string{"listen"}, "127.0.0.1:4100"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced (%v)", err)
	}
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the file's own 0640", fi.Mode().Perm())
	}
	cfg, err := Load(link)
	if err != nil || cfg.Clawbridge.Listen != "127.0.0.1:4100" {
		t.Errorf("listen after edit through the link = %v, %v", cfg, err)
	}
}

// TestEditKeepsBackup checks that each edit first keeps the file as it
// was beside it, private, and that an edit changing nothing writes none.
func TestEditKeepsBackup(t *testing.T) {
	path := writeTemp(t, string(assets.DefaultConfig))
	if err := SetSetting(path, []string{"listen"}, "127.0.0.1:4000"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + BackupSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an edit that changed nothing left a backup (%v)", err)
	}
	before := readFile(t, path)
	if err := SetSetting(path, []string{"listen"}, "127.0.0.1:4100"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path+BackupSuffix); got != before {
		t.Fatalf("backup holds\n%s\nwant the file before the edit\n%s", got, before)
	}
	if fi, err := os.Stat(path + BackupSuffix); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	second := readFile(t, path)
	if err := SetSetting(path, []string{"listen"}, "127.0.0.1:4200"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path+BackupSuffix); got != second {
		t.Errorf("after a second edit the backup is not the file before it")
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
