//go:build unix

package guard

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configRoutedHome is a fresh home (see freshHome) whose OpenClaw config
// carries the config route: the anthropic provider pointed at rec with
// the local key in the block (auth "api-key"), and a Claude model as the
// default.
func configRoutedHome(t *testing.T, app realApp, rec *anthropicRecorder) (home, agentDir string) {
	t.Helper()
	home = freshHome(t)
	state := filepath.Join(home, app.state)
	os.MkdirAll(state, 0o700)
	conf, _ := json.MarshalIndent(map[string]any{
		"agents": map[string]any{"defaults": map[string]any{
			"model": map[string]any{"primary": "anthropic/claude-sonnet-5"}}},
		"models": map[string]any{"providers": map[string]any{
			"anthropic": map[string]any{"baseUrl": rec.URL, "api": "anthropic-messages", "auth": "api-key",
				"apiKey": testKey, "models": []any{}}}},
	}, "", "  ")
	if err := os.WriteFile(filepath.Join(state, app.conf), conf, 0o600); err != nil {
		t.Fatal(err)
	}
	return home, filepath.Join(state, "agents", "main", "agent")
}

// TestGuardTakesBackLegacyStoreOnOpenClaw96: OpenClaw 2026.9.6 with the config
// route answers a turn; the auth-profiles.json an older clawbridge wrote
// makes its next turn fail (AUTH_PROFILE_MIGRATION_REQUIRED); the guard
// takes that file back, and the turn after it succeeds with the block's
// key again.
func TestGuardTakesBackLegacyStoreOnOpenClaw96(t *testing.T) {
	app := openclawApp(t, "2026.9.6")
	rec := newAnthropicRecorder(t)
	home, dir := configRoutedHome(t, app, rec)

	// The first turn makes the SQLite store (and no profile in it).
	turnSendsLocalKey(t, app, home, rec)
	db := sqliteStore(dir)
	if db == "" {
		t.Fatalf("%s answered a turn without a SQLite database the guard recognises", app.name)
	}

	// What an older clawbridge (or the nil-Create default) left there.
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, []byte(freshStoreBytes), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+BackupSuffix, []byte(freshStoreBytes), 0o600); err != nil {
		t.Fatal(err)
	}
	sent := len(rec.credentials())
	stdout, stderr, err := app.try(home, "", "agent", "--local", "--session-id", "t", "--message", "hello", "--json", "--timeout", "180")
	out := string(stdout) + string(stderr)
	if !strings.Contains(out, "requires legacy credential migration") || bytes.Contains(stdout, []byte(recorderReply)) {
		t.Fatalf("%s with clawbridge's legacy store: err %v, want the migration refusal; output:\n%s", app.name, err, out)
	}
	if n := len(rec.credentials()); n != sent {
		t.Fatalf("%s sent %d requests while refusing", app.name, n-sent)
	}

	g := guardFor(t, home, dir)
	evs, err := g.Fix()
	var removed *Event
	for i := range evs {
		if evs[i].Path == path {
			removed = &evs[i]
		}
	}
	if err != nil || removed == nil || removed.Kind != Removed {
		t.Fatalf("Fix: %+v %v; want Removed for %s", evs, err, path)
	}
	for _, name := range []string{FileName, FileName + BackupSuffix} {
		if _, err := os.Lstat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s is still there", name)
		}
	}

	turnSendsLocalKey(t, app, home, rec)
	if len(rec.credentials()) == sent {
		t.Fatalf("%s's last turn made no request", app.name)
	}
	// The app's own writes leave nothing more to take back.
	st, err := g.Check()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Dir == dir && (s.SQLite == "" || s.Legacy || len(s.Problems) != 0 || s.Removed == "") {
			t.Errorf("status after the turn: %+v", s)
		}
	}
}
