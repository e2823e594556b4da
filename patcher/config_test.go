package patcher

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/golden"
)

var configNow = time.Date(2026, 1, 25, 10, 15, 0, 0, time.UTC)

const configBackupSuffix = ".clawbridge-20260125T101500Z.bak"

// copyConfig copies testdata/config/name into a temp dir with mode perm.
func copyConfig(t *testing.T, name string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "openclaw.json")
	mustWrite(t, path, mustRead(t, filepath.Join("testdata", "config", name)))
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPatchConfigGolden(t *testing.T) {
	tests := []struct {
		in        string
		preserved bool
	}{
		{"openclaw-plain.in.json", true},
		{"jsonc-other-provider.in.json", true},
		{"existing-anthropic.in.json", true},
		{"empty.in.json", true},
		{"json5-syntax.in.json5", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			path := copyConfig(t, tt.in, 0o600)
			orig := mustRead(t, path)
			res, err := PatchConfig(path, DefaultBaseURL, configNow)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Changed || res.Preserved != tt.preserved || res.Backup != path+configBackupSuffix {
				t.Fatalf("result %+v", res)
			}
			out := mustRead(t, path)
			golden.Check(t, filepath.Join("testdata", "config", strings.Split(tt.in, ".in.")[0]+".want.json"), out)
			if !bytes.Equal(mustRead(t, res.Backup), orig) {
				t.Error("backup is not the original")
			}
			for _, p := range []string{path, res.Backup} {
				if m := statID(t, p).mode.Perm(); m != 0o600 {
					t.Errorf("%s mode %v, want 0600", p, m)
				}
			}
			st, err := InspectConfig(path, DefaultBaseURL)
			if err != nil || !st.Patched {
				t.Fatalf("inspect after patch: %+v %v", st, err)
			}

			// Once is enough: a second run writes nothing.
			before := statID(t, path)
			res, err = PatchConfig(path, DefaultBaseURL, configNow.Add(time.Hour))
			if err != nil || res.Changed || res.Backup != "" {
				t.Fatalf("second patch: %+v %v", res, err)
			}
			if statID(t, path) != before {
				t.Error("second patch rewrote the file")
			}
		})
	}
}

func TestPatchConfigKeepsComments(t *testing.T) {
	path := copyConfig(t, "jsonc-other-provider.in.json", 0o644)
	if _, err := PatchConfig(path, DefaultBaseURL, configNow); err != nil {
		t.Fatal(err)
	}
	out := string(mustRead(t, path))
	for _, c := range []string{"// Clawdbot config, hand edited", "// the default agent", "/* local models first */", "// ollama itself"} {
		if !strings.Contains(out, c) {
			t.Errorf("comment %q lost", c)
		}
	}
	// Only lines were added: every original line is still there, in order.
	orig := strings.Split(string(mustRead(t, filepath.Join("testdata", "config", "jsonc-other-provider.in.json"))), "\n")
	rest := strings.Split(out, "\n")
	for _, line := range orig {
		for len(rest) > 0 && rest[0] != line && strings.TrimSuffix(rest[0], ",") != line {
			rest = rest[1:]
		}
		if len(rest) == 0 {
			t.Fatalf("original line %q missing or out of order in:\n%s", line, out)
		}
		rest = rest[1:]
	}
}

func TestPatchConfigRefusals(t *testing.T) {
	tests := map[string]string{
		"models not an object":    `{"models": "none"}`,
		"providers not an object": `{"models": {"providers": []}}`,
		"anthropic not an object": `{"models": {"providers": {"anthropic": true}}}`,
		"not JSON5":               `{"models": `,
		"top level array":         `[1, 2]`,
		"infinity in JSON5":       `{limit: Infinity}`,
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "clawdbot.json")
			mustWrite(t, path, []byte(content))
			before := statID(t, path)
			if _, err := PatchConfig(path, DefaultBaseURL, configNow); err == nil {
				t.Fatal("no error")
			} else {
				t.Logf("refused: %v", err)
			}
			if statID(t, path) != before || string(mustRead(t, path)) != content {
				t.Fatal("file written")
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
				t.Fatalf("left files behind: %v", entries)
			}
		})
	}
}

func TestPatchConfigSymlinkAndNewFile(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", "openclaw.json")
	mustWrite(t, real, []byte("{}\n"))
	link := filepath.Join(dir, ".openclaw", "openclaw.json")
	mustMkdir(t, filepath.Dir(link))
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	res, err := PatchConfig(link, DefaultBaseURL, configNow)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced")
	}
	if res.Backup != real+configBackupSuffix {
		t.Errorf("backup %s, want beside the real file", res.Backup)
	}
	if st, _ := InspectConfig(link, DefaultBaseURL); !st.Patched {
		t.Error("not patched through the link")
	}

	fresh := filepath.Join(dir, ".clawdbot", "clawdbot.json")
	mustMkdir(t, filepath.Dir(fresh))
	res, err = PatchConfig(fresh, DefaultBaseURL, configNow)
	if err != nil || !res.Changed || res.Backup != "" {
		t.Fatalf("new file: %+v %v", res, err)
	}
	if m := statID(t, fresh).mode.Perm(); m != 0o600 {
		t.Errorf("new config mode %v", m)
	}
	if _, err := PatchConfig(filepath.Join(dir, "missing", "x.json"), DefaultBaseURL, configNow); err == nil {
		t.Error("created a config in a directory that does not exist")
	}
}

func TestUndoConfig(t *testing.T) {
	for _, in := range []string{"openclaw-plain.in.json", "jsonc-other-provider.in.json", "empty.in.json"} {
		t.Run(in, func(t *testing.T) {
			path := copyConfig(t, in, 0o600)
			orig := mustRead(t, path)
			if _, err := PatchConfig(path, DefaultBaseURL, configNow); err != nil {
				t.Fatal(err)
			}
			res, err := UndoConfig(path, configNow.Add(time.Minute))
			if err != nil || !res.Changed || !res.Preserved {
				t.Fatalf("undo: %+v %v", res, err)
			}
			if !bytes.Equal(mustRead(t, path), orig) {
				t.Errorf("undo did not restore the original:\n%s", mustRead(t, path))
			}
			if res, err := UndoConfig(path, configNow); err != nil || res.Changed {
				t.Errorf("second undo: %+v %v", res, err)
			}
		})
	}

	// A JSON5 file comes back as JSON without the block.
	path := copyConfig(t, "json5-syntax.in.json5", 0o600)
	if _, err := PatchConfig(path, DefaultBaseURL, configNow); err != nil {
		t.Fatal(err)
	}
	if _, err := UndoConfig(path, configNow.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if m, err := decodeConfig(mustRead(t, path)); err != nil || m["models"] != nil || dig(m, "gateway", "port") != float64(18789) {
		t.Errorf("after undo: %v %v", m, err)
	}

	// A provider the user had before (with an API key) is not clawbridge's
	// to remove.
	path = copyConfig(t, "existing-anthropic.in.json", 0o600)
	if _, err := PatchConfig(path, DefaultBaseURL, configNow); err != nil {
		t.Fatal(err)
	}
	before := statID(t, path)
	if _, err := UndoConfig(path, configNow.Add(time.Minute)); err == nil {
		t.Fatal("undo removed a provider block the user had edited")
	}
	if statID(t, path) != before {
		t.Fatal("refused undo wrote the file")
	}
}

func TestInspectConfig(t *testing.T) {
	path := copyConfig(t, "existing-anthropic.in.json", 0o600)
	st, err := InspectConfig(path, DefaultBaseURL)
	if err != nil || st.Patched || st.BaseURL != AnthropicBaseURL || st.API != "" {
		t.Fatalf("%+v %v", st, err)
	}
	if _, err := InspectConfig(filepath.Join(t.TempDir(), "none.json"), DefaultBaseURL); err == nil {
		t.Error("no error for a missing file")
	}
}

func TestConfigFiles(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, app := range configApps {
		t.Setenv(strings.ToUpper(app)+"_CONFIG_PATH", "")
		t.Setenv(strings.ToUpper(app)+"_STATE_DIR", "")
	}
	openclaw := filepath.Join(home, ".openclaw", "openclaw.json")
	mustWrite(t, openclaw, []byte("{}"))
	mustMkdir(t, filepath.Join(home, ".moltbot")) // no config file in it
	custom := filepath.Join(home, "elsewhere", "clawdbot.json5")
	mustWrite(t, custom, []byte("{}"))
	t.Setenv("CLAWDBOT_CONFIG_PATH", "~/elsewhere/clawdbot.json5")

	got := ConfigFiles()
	want := []ConfigFile{{"openclaw", openclaw}, {"clawdbot", custom}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("ConfigFiles() = %+v, want %+v", got, want)
	}
}

// testKey stands in for the daemon's key; it must never show in an error.
const testKey = "cb-local-0123456789abcdef"

// TestPatchConfigWithKey writes the block OpenClaw 2026.9.6 needs (with
// apiKey), keeps comments and order, is idempotent, changes the key when
// the daemon's changes, and undo restores the original bytes.
func TestPatchConfigWithKey(t *testing.T) {
	path := copyConfig(t, "jsonc-other-provider.in.json", 0o600)
	orig := mustRead(t, path)
	res, err := PatchConfigWithKey(path, DefaultBaseURL, testKey, configNow)
	if err != nil || !res.Changed || !res.Preserved {
		t.Fatalf("%+v %v", res, err)
	}
	out := string(mustRead(t, path))
	// In this order, after the anthropic key, laid out like the file.
	at := strings.Index(out, `"anthropic": {`)
	for _, want := range []string{`"baseUrl": "http://127.0.0.1:4000",`, `"api": "anthropic-messages",`, `"auth": "api-key",`, `"apiKey": "` + testKey + `",`, `"models": []`} {
		i := strings.Index(out[max(at, 0):], want)
		if at < 0 || i < 0 {
			t.Fatalf("%s not written in order:\n%s", want, out)
		}
		at += i
	}
	for _, c := range []string{"// Clawdbot config, hand edited", "/* local models first */"} {
		if !strings.Contains(out, c) {
			t.Errorf("comment %q lost", c)
		}
	}
	st, err := InspectConfigWithKey(path, DefaultBaseURL, testKey)
	if err != nil || !st.Patched || !st.HasAPIKey || !st.KeyMatches || st.Auth != "api-key" {
		t.Fatalf("inspect: %+v %v", st, err)
	}
	if st, _ := InspectConfigWithKey(path, DefaultBaseURL, "other"); st.Patched || st.KeyMatches || !st.HasAPIKey {
		t.Errorf("another key counts as patched: %+v", st)
	}
	before := statID(t, path)
	if res, err := PatchConfigWithKey(path, DefaultBaseURL, testKey, configNow); err != nil || res.Changed {
		t.Fatalf("second patch: %+v %v", res, err)
	}
	if statID(t, path) != before {
		t.Error("second patch rewrote the file")
	}
	if _, err := PatchConfigWithKey(path, DefaultBaseURL, "cb-new-key", configNow.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if st, _ := InspectConfigWithKey(path, DefaultBaseURL, "cb-new-key"); !st.Patched {
		t.Errorf("key not replaced: %+v", st)
	}
	if _, err := UndoConfig(path, configNow.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, path), orig) {
		t.Errorf("undo did not restore the original:\n%s", mustRead(t, path))
	}
}

// TestPatchConfigWithKeyOnUserBlock: a block the user had keeps its other
// settings; the key and auth mode are replaced (the backup holds theirs);
// no error message carries the key.
func TestPatchConfigWithKeyOnUserBlock(t *testing.T) {
	path := copyConfig(t, "existing-anthropic.in.json", 0o600)
	withAuth := strings.Replace(string(mustRead(t, path)), `"apiKey"`, `"auth": "token", "apiKey"`, 1)
	if st, _ := InspectConfigWithKey(path, DefaultBaseURL, testKey); st.Patched || !st.HasAPIKey || withAuth == string(mustRead(t, path)) {
		t.Fatalf("fixture: %+v", st)
	}
	mustWrite(t, path, []byte(withAuth))
	res, err := PatchConfigWithKey(path, DefaultBaseURL, testKey, configNow)
	if err != nil || !res.Changed {
		t.Fatalf("%+v %v", res, err)
	}
	if st, _ := InspectConfigWithKey(path, DefaultBaseURL, testKey); !st.Patched {
		t.Fatalf("not patched: %+v", st)
	}
	if _, err := UndoConfig(path, configNow.Add(time.Minute)); err == nil {
		t.Error("undo removed a block the user had")
	} else if strings.Contains(err.Error(), testKey) {
		t.Errorf("error shows the key: %v", err)
	}
	for _, bad := range []string{" padded", "line\nbreak", "tab\tkey"} {
		_, err := PatchConfigWithKey(path, DefaultBaseURL, bad, configNow)
		if err == nil {
			t.Errorf("key %q accepted", bad)
		} else if strings.Contains(err.Error(), bad) {
			t.Errorf("error shows the key: %v", err)
		}
	}
}
