package patcher

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKeeperRepatchesEarendilJSONAfterInstall: the JSON catalog of
// @earendil-works/pi-ai 1.x is patched, and patched again when an install
// puts the published file back.
func TestKeeperRepatchesEarendilJSONAfterInstall(t *testing.T) {
	project := filepath.Join(t.TempDir(), "p")
	pkg := filepath.Join(project, "node_modules", "@earendil-works", "pi-ai")
	f := formatFixtures[4] // 1.6.1
	if f.version != "1.6.1" {
		t.Fatalf("fixture %s", f.file)
	}
	earendilPackage(t, pkg, f)
	file := filepath.Join(pkg, ProviderJSON.Rel())
	published := mustRead(t, file)

	h := startKeeper(t, KeeperOptions{Dirs: []string{project}, Env: &Env{}})
	h.wait(Patched, file)
	if bytes.Contains(mustRead(t, file), []byte("api.anthropic.com")) {
		t.Fatal("not patched")
	}
	// An install replaces the package directory, catalog and all.
	tmp := pkg + ".new"
	earendilPackage(t, tmp, f)
	if err := os.RemoveAll(pkg); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, pkg); err != nil {
		t.Fatal(err)
	}
	h.wait(Repatched, file)
	if got := mustRead(t, file); bytes.Contains(got, []byte("api.anthropic.com")) || len(got) == len(published) && bytes.Equal(got, published) {
		t.Fatal("not patched again")
	}
}

// TestKeeperKeepsConfigRoute: an OpenClaw 2026.9.6 install gets the
// provider block with the key, gets it again after the app rewrites its
// config without it, and its install status says so; without a key the
// keeper only reports.
func TestKeeperKeepsConfigRoute(t *testing.T) {
	tmp := t.TempDir()
	project := filepath.Join(tmp, "p")
	appPackage(t, filepath.Join(project, "node_modules", "openclaw"), "openclaw", "2026.9.6")
	cfg := filepath.Join(tmp, "state", "openclaw.json")
	user := []byte("{\n  // mine\n  \"agents\": {\"defaults\": {\"model\": {\"primary\": \"anthropic/claude-sonnet-5\"}}}\n}\n")
	mustWrite(t, cfg, user)
	env := fakeEnv(filepath.Join(tmp, "home"), map[string]string{"OPENCLAW_STATE_DIR": filepath.Join(tmp, "state")})

	report := startKeeper(t, KeeperOptions{Dirs: []string{project}, Env: &env})
	report.wait(Unpatched, cfg)
	if !bytes.Equal(mustRead(t, cfg), user) {
		t.Fatal("the keeper without a key wrote the config")
	}

	h := startKeeper(t, KeeperOptions{Dirs: []string{project}, Env: &env, APIKey: testKey})
	e := h.wait(Patched, cfg)
	if strings.Contains(e.String(), testKey) {
		t.Errorf("event shows the key: %s", e)
	}
	if st, err := InspectConfigWithKey(cfg, DefaultBaseURL, testKey); err != nil || !st.Patched {
		t.Fatalf("%+v %v", st, err)
	}
	if !strings.Contains(string(mustRead(t, cfg)), "// mine") {
		t.Error("comment lost")
	}
	ins := waitInstalls(t, h.k, func(st InstallStatus) bool { return st.State == "patched" })
	if ins.Install.App != "openclaw" || ins.Install.Version != "2026.9.6" || ins.Route.Kind != ConfigRoute || ins.Route.Config.Path != cfg {
		t.Errorf("install status %+v", ins)
	}

	// `openclaw configure` writes its config anew, without the block.
	if err := os.WriteFile(cfg+".tmp", user, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(cfg+".tmp", cfg); err != nil {
		t.Fatal(err)
	}
	h.wait(Repatched, cfg)
	if st, _ := InspectConfigWithKey(cfg, DefaultBaseURL, testKey); !st.Patched {
		t.Fatal("not written again")
	}
}

// waitInstalls waits for the keeper's one install to satisfy ok.
func waitInstalls(t *testing.T, k *Keeper, ok func(InstallStatus) bool) InstallStatus {
	t.Helper()
	deadline := time.Now().Add(hang)
	for {
		ins := k.Installs()
		if len(ins) == 1 && ok(ins[0]) {
			return ins[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("installs: %+v", ins)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
