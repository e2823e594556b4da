package guard

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An OpenClaw 2026.5 store after one of its own saves: the profiles in
// auth-profiles.json, order, lastGood and usageStats in auth-state.json.
const (
	splitStore     = "{\n  \"version\": 1,\n  \"profiles\": {\n    \"anthropic:default\": {\n      \"type\": \"api_key\",\n      \"provider\": \"anthropic\",\n      \"key\": \"sk-litellm-local\"\n    },\n    \"anthropic:claude-cli\": {\n      \"type\": \"oauth\",\n      \"provider\": \"anthropic\",\n      \"access\": \"sk-ant-oat01-X\",\n      \"refresh\": \"sk-ant-ort01-X\",\n      \"expires\": 4102444800000\n    }\n  }\n}\n"
	splitStateHeld = "{\n  \"version\": 1,\n  \"order\": {\n    \"anthropic\": [\n      \"anthropic:default\"\n    ]\n  },\n  \"lastGood\": {\n    \"anthropic\": \"anthropic:default\"\n  },\n  \"usageStats\": {\n    \"anthropic:default\": {\n      \"errorCount\": 0,\n      \"lastUsed\": 1796594798038\n    }\n  }\n}\n"
)

func splitDir(t *testing.T, state string) string {
	t.Helper()
	dir := agentDir(t, []byte(splitStore))
	if err := os.WriteFile(filepath.Join(dir, StateFileName), []byte(state), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSplitStoreHeldAfterOpenClawSave: OpenClaw's save moved order and
// lastGood into auth-state.json; that is no reason to write.
func TestSplitStoreHeldAfterOpenClawSave(t *testing.T) {
	dir := splitDir(t, splitStateHeld)
	g := newGuard(t, nil, dir)
	if ev := fixOne(t, g); ev.Kind != OK {
		t.Fatalf("event %v %q", ev.Kind, ev.Changes)
	}
	if got := readFile(t, filepath.Join(dir, FileName)); string(got) != splitStore {
		t.Errorf("store written:\n%s", got)
	}
	if got := readFile(t, filepath.Join(dir, StateFileName)); string(got) != splitStateHeld {
		t.Errorf("state written:\n%s", got)
	}
	st, err := g.Check()
	if err != nil || len(st) != 1 || !st[0].Held || st[0].Using != DefaultProfile || st[0].Profiles != 2 {
		t.Fatalf("Check: %+v %v", st, err)
	}
}

// TestSplitStatePinned: an order in auth-state.json outranks the one in
// auth-profiles.json, so that is where the guard pins it; everything else
// in the file keeps its bytes.
func TestSplitStatePinned(t *testing.T) {
	state := strings.Replace(splitStateHeld, "[\n      \"anthropic:default\"\n    ]", "[\n      \"anthropic:claude-cli\"\n    ]", 1)
	state = strings.Replace(state, "\"anthropic\": \"anthropic:default\"", "\"anthropic\": \"anthropic:claude-cli\"", 1)
	dir := splitDir(t, state)
	g := newGuard(t, nil, dir)
	st, err := g.Check()
	if err != nil || len(st) != 1 || st[0].Held || st[0].Using != ClaudeCLIProfile || len(st[0].Problems) != 2 {
		t.Fatalf("Check before: %+v %v", st, err)
	}
	ev := fixOne(t, g)
	if ev.Kind != Restored || len(ev.Changes) != 2 || !strings.HasPrefix(ev.Changes[0], StateFileName+": order.anthropic is [anthropic:claude-cli]") {
		t.Fatalf("event %v %q", ev.Kind, ev.Changes)
	}
	if got := readFile(t, filepath.Join(dir, StateFileName)); string(got) != splitStateHeld {
		t.Errorf("state:\n%s", got)
	}
	if got := readFile(t, filepath.Join(dir, FileName)); string(got) != splitStore {
		t.Errorf("store written:\n%s", got)
	}
	if m := mode(t, filepath.Join(dir, StateFileName)); m != 0o600 {
		t.Errorf("state mode %o", m)
	}
	if ev := fixOne(t, g); ev.Kind != OK {
		t.Fatalf("second Fix: %v %q", ev.Kind, ev.Changes)
	}
}

// TestSplitStoreProfilePinned: in the split layout the profile is still
// pinned in auth-profiles.json, and nothing is added there that OpenClaw
// keeps in auth-state.json.
func TestSplitStoreProfilePinned(t *testing.T) {
	dir := splitDir(t, splitStateHeld)
	path := filepath.Join(dir, FileName)
	os.WriteFile(path, []byte(strings.Replace(splitStore, testKey, "sk-someone-else", 1)), 0o600)
	g := newGuard(t, nil, dir)
	ev := fixOne(t, g)
	if ev.Kind != Restored || len(ev.Changes) != 1 {
		t.Fatalf("event %v %q", ev.Kind, ev.Changes)
	}
	s := decodeStore(t, readFile(t, path))
	if string(s.Profiles[DefaultProfile]["key"]) != `"`+testKey+`"` || s.Order != nil || s.LastGood != nil {
		t.Errorf("store: %+v", s)
	}
}

// TestBrokenStateFileIsIgnored: OpenClaw reads an auth-state.json that is
// not a JSON object as empty, so auth-profiles.json decides alone and gets
// the whole invariant; the broken file is left as it is.
func TestBrokenStateFileIsIgnored(t *testing.T) {
	dir := splitDir(t, "{\"order\": ")
	g := newGuard(t, nil, dir)
	if ev := fixOne(t, g); ev.Kind != Restored {
		t.Fatalf("event %v %q", ev.Kind, ev.Changes)
	}
	assertInvariant(t, readFile(t, filepath.Join(dir, FileName)), testKey)
	if got := readFile(t, filepath.Join(dir, StateFileName)); !bytes.Equal(got, []byte("{\"order\": ")) {
		t.Errorf("state file changed: %q", got)
	}
}
