package guard

import (
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/peers"
)

// clawdbotStep runs Clawdbot's own auth-store code, as one agent turn does
// it: load the store (which syncs Claude CLI credentials and may save),
// work out the Anthropic profile order, resolve the first profile's key,
// and, for turn, record usage and lastGood the way a successful turn does.
// It prints profile names and the order, and whether the key it would send
// is the local key, never the key itself.
const clawdbotStep = `
const dist = process.env.CLAWDBOT_DIST;
const { ensureAuthProfileStore, resolveAuthProfileOrder, resolveApiKeyForProfile,
        markAuthProfileUsed, markAuthProfileGood } = await import(dist + "/agents/auth-profiles.js");
const store = ensureAuthProfileStore(undefined, { allowKeychainPrompt: false });
const order = resolveAuthProfileOrder({ cfg: {}, store, provider: "anthropic" });
const resolved = order.length ? await resolveApiKeyForProfile({ cfg: {}, store, profileId: order[0] }) : null;
if (process.argv.includes("turn") && order.length) {
  await markAuthProfileUsed({ store, profileId: order[0] });
  await markAuthProfileGood({ store, provider: "anthropic", profileId: order[0] });
}
console.log(JSON.stringify({
  profiles: Object.keys(store.profiles), order,
  localKey: resolved?.apiKey === process.env.WANT_KEY,
}));
`

type clawdbotView struct {
	Profiles []string `json:"profiles"`
	Order    []string `json:"order"`
	LocalKey bool     `json:"localKey"`
}

// TestWithClawdbotStoreCode replays the guard's reason to exist against the
// auth-store code of the installed Clawdbot (2026.1.24): the Claude CLI
// sync makes Clawdbot prefer OAuth; after the guard, Clawdbot uses the local
// key; Clawdbot's own per-turn writes leave the invariant alone; and when
// Clawdbot reads a torn file and saves a Claude-CLI-only store, the guard
// brings every profile back.
//
// It needs what .ci/provision-clawdbot.sh records: $CLAWBRIDGE_CLAWDBOT_DIR,
// the project whose node_modules holds clawdbot, and
// $CLAWBRIDGE_NODE22_BIN, the Node 22 that Clawdbot requires.
func TestWithClawdbotStoreCode(t *testing.T) {
	project, node := os.Getenv("CLAWBRIDGE_CLAWDBOT_DIR"), os.Getenv("CLAWBRIDGE_NODE22_BIN")
	if project == "" || node == "" {
		peers.Missing(t, "needs CLAWBRIDGE_CLAWDBOT_DIR and CLAWBRIDGE_NODE22_BIN (see .ci/provision-clawdbot.sh)")
	}
	dist := filepath.Join(project, "node_modules", "clawdbot", "dist")
	if _, err := os.Stat(filepath.Join(dist, "agents", "auth-profiles.js")); err != nil {
		t.Fatalf("CLAWBRIDGE_CLAWDBOT_DIR: %v", err)
	}

	home := t.TempDir()
	claude := filepath.Join(home, ".claude")
	os.MkdirAll(claude, 0o700)
	os.WriteFile(filepath.Join(claude, ".credentials.json"),
		[]byte(`{"claudeAiOauth":{"accessToken":"sk-ant-oat01-FAKE","refreshToken":"sk-ant-ort01-FAKE","expiresAt":4102444800000}}`), 0o600)
	dir := filepath.Join(home, ".clawdbot", "agents", "main", "agent")
	os.MkdirAll(dir, 0o700)
	path := filepath.Join(dir, FileName)
	os.WriteFile(path, []byte(`{
  "version": 1,
  "profiles": {
    "anthropic:default": {
      "type": "api_key",
      "provider": "anthropic",
      "key": "sk-litellm-local"
    },
    "openai:default": {
      "type": "api_key",
      "provider": "openai",
      "key": "sk-proj-X"
    }
  },
  "usageStats": {
    "openai:default": {
      "lastUsed": 5
    }
  }
}
`), 0o600)

	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLAWDBOT_") && !strings.HasPrefix(kv, "PI_CODING_AGENT") &&
			!strings.HasPrefix(kv, "OPENCLAW_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "CLAWDBOT_DIST="+dist, "WANT_KEY="+testKey)
	run := func(args ...string) clawdbotView {
		t.Helper()
		cmd := exec.Command(node, append([]string{"--input-type=module", "-e", clawdbotStep, "--"}, args...)...)
		cmd.Env = env
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("clawdbot store code: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		var v clawdbotView
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &v); err != nil {
			t.Fatalf("clawdbot output %q: %v", out, err)
		}
		return v
	}
	g, err := New(Options{Key: testKey, Home: home, Getenv: func(string) string { return "" }, RetryDelay: 1,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	fix := func(want Kind) {
		t.Helper()
		evs, err := g.Fix()
		if err != nil || len(evs) != 1 || evs[0].Kind != want {
			t.Fatalf("Fix: %v %v, want one %v", evs, err, want)
		}
	}

	// Without the guard, the synced OAuth profile wins.
	v := run()
	if len(v.Order) == 0 || v.Order[0] != ClaudeCLIProfile {
		t.Fatalf("without the guard Clawdbot uses %q; the problem the guard solves did not show", v.Order)
	}
	fix(Restored)
	v = run("turn")
	if len(v.Order) != 1 || v.Order[0] != DefaultProfile || !v.LocalKey {
		t.Fatalf("after the guard Clawdbot uses %q (local key: %v)", v.Order, v.LocalKey)
	}
	if !contains(v.Profiles, ClaudeCLIProfile) {
		t.Errorf("the OAuth profile was removed: %q", v.Profiles)
	}
	// Clawdbot's per-turn writes keep the invariant: nothing to do.
	fix(OK)
	assertInvariant(t, readFile(t, path), testKey)

	// The data-loss path: Clawdbot reads a torn file and saves a store
	// holding only the Claude CLI profile.
	good := readFile(t, path)
	os.WriteFile(path, good[:len(good)/2], 0o600)
	v = run()
	if strings.Join(v.Profiles, ",") != ClaudeCLIProfile {
		t.Fatalf("Clawdbot kept %q from a torn file; the data-loss path did not show", v.Profiles)
	}
	fix(Recovered)
	v = run("turn")
	if len(v.Order) != 1 || v.Order[0] != DefaultProfile || !v.LocalKey || !contains(v.Profiles, "openai:default") {
		t.Fatalf("after recovery Clawdbot sees %+v", v)
	}
	s := decodeStore(t, readFile(t, path))
	if _, ok := s.UsageStats["openai:default"]; !ok {
		t.Error("usageStats of openai:default lost")
	}
	fix(OK)
}
