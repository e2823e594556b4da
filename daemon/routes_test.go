package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/patcher"
)

// TestDaemonRoutesEveryReleaseLine: a machine with a Clawdbot on pi-ai
// (the catalog patch) and an OpenClaw 2026.9.6 (no pi-ai: the config
// route) beside it. The daemon routes both by itself, the config route
// with its key, and reports each install truthfully: routed once it is,
// re-routed (with a notification) after the app rewrote its config, and
// not routed, with the reason and the fix, while its config cannot be
// edited.
func TestDaemonRoutesEveryReleaseLine(t *testing.T) {
	w := newWorld(t, "http://127.0.0.1:1", "")
	mustMkdir(t, filepath.Join(w.clawdbot, "node_modules", "clawdbot"))
	mustWrite(t, filepath.Join(w.clawdbot, "node_modules", "clawdbot", "package.json"), `{"name": "clawdbot", "version": "2026.1.24-3"}`)
	openclaw := filepath.Join(w.home, "src", "openclaw", "node_modules", "openclaw") // a usual checkout place
	mustMkdir(t, openclaw)
	mustWrite(t, filepath.Join(openclaw, "package.json"), `{"name": "openclaw", "version": "2026.9.6"}`)
	ocfg := filepath.Join(w.home, ".openclaw", "openclaw.json")
	mustMkdir(t, filepath.Dir(ocfg))
	user := "{\n  // mine\n  \"agents\": {\"defaults\": {\"model\": {\"primary\": \"anthropic/claude-sonnet-5\"}}}\n}\n"
	mustWrite(t, ocfg, user)

	n, noted := recordingNotifier(t)
	d := startDaemon(t, w, Options{Notifier: n})
	base := "http://" + d.State().Translator.Addr
	const key = "sk-test-local" // the world's master_key: the translator lets it through

	installs := func() map[string]status.InstallState {
		out := map[string]status.InstallState{}
		for _, in := range d.State().Patcher.Installs {
			out[in.App] = in
		}
		return out
	}
	waitFor(t, "both installs routed", func() bool {
		in := installs()
		return len(in) == 2 && in["clawdbot"].Routed() && in["openclaw"].Routed()
	})
	in := installs()
	cb, oc := in["clawdbot"], in["openclaw"]
	if cb.Name() != "Clawdbot 2026.1.24-3" || cb.Route != "catalog patch" || !cb.Owns(w.catalog) || cb.Patched != cb.URLs || cb.URLs == 0 || cb.Fix != "" {
		t.Errorf("Clawdbot's row: %+v", cb)
	}
	if oc.Name() != "OpenClaw 2026.9.6" || oc.Route != "config route" || oc.Config != ocfg || oc.Problem != "" || oc.Fix != "" {
		t.Errorf("OpenClaw's row: %+v", oc)
	}
	if st, err := patcher.InspectConfigWithKey(ocfg, base, key); err != nil || !st.Patched {
		t.Fatalf("OpenClaw's config: %+v %v; want the block at %s with the daemon's key", st, err, base)
	}
	if b, _ := os.ReadFile(ocfg); !strings.Contains(string(b), "// mine") {
		t.Errorf("the user's comment is gone:\n%s", b)
	}
	if b, _ := os.ReadFile(w.catalog); strings.Contains(string(b), "https://api.anthropic.com") || !strings.Contains(string(b), base) {
		t.Errorf("Clawdbot's catalog does not point at %s", base)
	}
	if why := patchPending(d.State().Patcher); why != "" {
		t.Errorf("the gateway would still wait: %s", why)
	}

	t.Log("OpenClaw rewrites its config without the block: the daemon writes it back and says so")
	replaceFile(t, ocfg, user)
	waitFor(t, "the re-route notification", func() bool { return noted("Re-routed OpenClaw 2026.9.6", ocfg) })
	waitFor(t, "the config routed again", func() bool {
		st, err := patcher.InspectConfigWithKey(ocfg, base, key)
		return err == nil && st.Patched
	})
	waitFor(t, "the re-route in the state", func() bool {
		in := installs()["openclaw"]
		return in.Routed() && !in.Reapplied.IsZero()
	})

	t.Log("a config the daemon cannot edit: the row says why and how to fix it, and nothing claims it routed")
	replaceFile(t, ocfg, "{ \"agents\": ")
	waitFor(t, "OpenClaw reported not routed", func() bool {
		in := installs()["openclaw"]
		return in.State == status.RouteError && strings.Contains(in.Problem, ocfg) && strings.Contains(in.Fix, "parses as JSON5")
	})
	if st := d.State(); st.Healthy() {
		t.Error("the state is healthy with an install not routed")
	}
	if why := patchPending(d.State().Patcher); !strings.Contains(why, "OpenClaw 2026.9.6 is not routed") {
		t.Errorf("the gateway's wait says %q; want OpenClaw not routed", why)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.RepatchNow(ctx); err == nil || !strings.Contains(err.Error(), "1 of 2 installs not routed; OpenClaw 2026.9.6 (config route)") {
		t.Errorf("Re-patch now = %v; want 1 of 2 installs not routed, naming OpenClaw", err)
	}
}

// freshHome is a HOME with one app install in ~/app (its pi-ai catalog,
// when catalog is set) and a clawbridge config naming it, with the guard
// on and discovering the state directories itself.
func freshHome(t *testing.T, app, version string, catalog bool) *world {
	t.Helper()
	w := &world{home: t.TempDir()}
	w.clawdbot = filepath.Join(w.home, "app")
	mustMkdir(t, filepath.Join(w.clawdbot, "node_modules", app))
	mustWrite(t, filepath.Join(w.clawdbot, "node_modules", app, "package.json"), `{"name": "`+app+`", "version": "`+version+`"}`)
	if catalog {
		pkg := filepath.Join(w.clawdbot, "node_modules", "@mariozechner", "pi-ai")
		mustMkdir(t, filepath.Join(pkg, "dist"))
		mustWrite(t, filepath.Join(pkg, "package.json"), `{"name": "@mariozechner/pi-ai", "version": "0.49.3", "type": "module"}`)
		orig, err := os.ReadFile("../patcher/testdata/pi-ai-0.49.3.models.generated.js")
		if err != nil {
			t.Fatal(err)
		}
		w.catalog = filepath.Join(pkg, "dist", "models.generated.js")
		mustWrite(t, w.catalog, string(orig))
	}
	w.configPath = filepath.Join(w.home, "config", "config.yaml")
	mustMkdir(t, filepath.Dir(w.configPath))
	mustWrite(t, w.configPath, "model_list:\n  - model_name: claude-*\n    litellm_params: {model: ollama/x, api_base: http://127.0.0.1:1}\n"+
		"general_settings:\n  master_key: sk-test-local\nclawbridge:\n  patcher:\n    dirs: [~/app]\n    global: false\n")
	return w
}

// TestDaemonCreatesJSONStoreOnlyForPiAIReleases: a fresh HOME with an
// OpenClaw on pi-ai (2026.5.7: JSON auth store, read from ~/.openclaw)
// gets its store created by the guard with the local key, state directory
// and all; a fresh HOME with OpenClaw 2026.9.6 (SQLite store) never gets a
// JSON store, even once the app has made its agent directory.
func TestDaemonCreatesJSONStoreOnlyForPiAIReleases(t *testing.T) {
	t.Run("2026.5.7", func(t *testing.T) {
		w := freshHome(t, "openclaw", "2026.5.7", true)
		d := startDaemon(t, w, Options{})
		store := filepath.Join(w.home, ".openclaw", "agents", "main", "agent", "auth-profiles.json")
		waitFor(t, "the guard to create "+store, func() bool {
			b, err := os.ReadFile(store)
			return err == nil && strings.Contains(string(b), "sk-test-local")
		})
		waitFor(t, "the store shown held", func() bool {
			for _, g := range d.State().Guard.Dirs {
				if g.Path == store {
					return g.Held && g.Unread == ""
				}
			}
			return false
		})
		if _, err := os.Stat(filepath.Join(w.home, ".clawdbot")); err == nil {
			t.Error("the guard made ~/.clawdbot for an OpenClaw")
		}
	})
	t.Run("2026.9.6", func(t *testing.T) {
		w := freshHome(t, "openclaw", "2026.9.6", false)
		mustMkdir(t, filepath.Join(w.home, ".openclaw"))
		mustWrite(t, filepath.Join(w.home, ".openclaw", "openclaw.json"), "{}\n")
		d := startDaemon(t, w, Options{GuardRescan: 50 * time.Millisecond})
		waitFor(t, "OpenClaw routed", func() bool {
			in := d.State().Patcher.Installs
			return len(in) == 1 && in[0].Routed()
		})
		agent := filepath.Join(w.home, ".openclaw", "agents", "main", "agent")
		mustMkdir(t, agent) // the app's first turn makes it, before its database
		// Without the daemon's "create nothing here", the guard (rescanning
		// every 50ms) writes the store about 2s later: watch for twice that.
		for t0 := time.Now(); time.Since(t0) < 4*time.Second; time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(filepath.Join(agent, "auth-profiles.json")); err == nil {
				t.Fatal("the guard wrote a JSON auth store where OpenClaw 2026.9.6 keeps it in SQLite")
			}
		}
	})
}
