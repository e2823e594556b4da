package guard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecide feeds arbitrary file contents and last good copies to the
// guard's merge and repair. It must never panic; whatever it writes parses
// as JSON (for encoding/json and for the guard's own reader) and holds the
// invariant; a second pass over its output writes nothing; every profile
// name of the input (or, when the input does not parse, of the last good
// copy) is still there; and a credential of a parsed input that it
// replaces is kept under another name unless it was the placeholder key.
func FuzzDecide(f *testing.F) {
	for _, glob := range []string{"testdata/pin/*.in.json", "testdata/recover/*.in.json"} {
		inputs, _ := filepath.Glob(glob)
		for _, in := range inputs {
			data, err := os.ReadFile(in)
			if err != nil {
				f.Fatal(err)
			}
			last, _ := os.ReadFile(strings.TrimSuffix(in, ".in.json") + ".last.json")
			f.Add(data, last, true)
			if last != nil {
				f.Add([]byte(nil), last, false)
				f.Add(data[:len(data)/2], last, true) // torn by an in-place write
			}
		}
	}
	race, err := json.Marshal(raceStore())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(race, []byte(nil), true)
	f.Add([]byte(`{"profiles":{"anthropic:default":"sk-ant-api03-x","anthropic:default":{"type":"token"}},"order":[],"lastGood":{"Anthropic ":1}}`), race, true)

	f.Fuzz(func(t *testing.T, data, last []byte, exists bool) {
		if !exists {
			data = nil
		}
		out := decide(data, exists, last, testKey, testNow)
		if out.write == nil {
			if out.kind != OK || len(out.changes) != 0 {
				t.Fatalf("no write but kind %v, changes %q", out.kind, out.changes)
			}
			if err := holdsInvariant(data, testKey); err != nil {
				t.Fatalf("no write for a file where %v:\n%s", err, data)
			}
			return
		}
		if out.kind == OK {
			t.Fatal("a write reported as OK")
		}
		if !json.Valid(out.write) {
			t.Fatalf("output is not valid JSON:\n%s", out.write)
		}
		if _, err := parseStore(out.write); err != nil {
			t.Fatalf("output does not parse as a store: %v\n%s", err, out.write)
		}
		if err := holdsInvariant(out.write, testKey); err != nil {
			t.Fatalf("output breaks the invariant: %v\n%s", err, out.write)
		}
		if again := decide(out.write, true, out.write, testKey, testNow); again.write != nil {
			t.Fatalf("second pass wants another write (%q):\n%s", again.changes, out.write)
		}
		got := profilesOf(out.write)
		from, fromInput := data, true
		if _, err := parseStore(data); err != nil || !exists {
			from, fromInput = nil, false
			if exists {
				from = last // rebuilt from the last good copy
			}
		}
		if from == nil {
			return
		}
		if _, err := parseStore(from); err != nil {
			return
		}
		values := map[string]bool{}
		for _, v := range got {
			values[v] = true
		}
		for name, v := range profilesOf(from) {
			now, ok := got[name]
			if !ok {
				t.Fatalf("profile %q dropped:\n%s\n->\n%s", name, from, out.write)
			}
			// Entries salvaged from a torn file replace the last good
			// copy's (they are newer), so values are only compared for an
			// input that parsed.
			if fromInput && now != v && !values[v] && !(name == DefaultProfile && placeholder(v)) {
				t.Fatalf("credential of %q lost (was %s):\n%s", name, v, out.write)
			}
		}
	})
}

// profilesOf decodes a store's profiles the way JSON.parse sees them (the
// last of repeated names wins), each value in a canonical encoding.
func profilesOf(data []byte) map[string]string {
	var store struct {
		Profiles map[string]any `json:"profiles"`
	}
	out := map[string]string{}
	if decodeNumbers(data, &store) != nil {
		return out
	}
	for name, v := range store.Profiles {
		b, _ := json.Marshal(v)
		out[name] = string(b)
	}
	return out
}

// decodeNumbers is json.Unmarshal keeping numbers as written: a store may
// hold any number JSON allows, 1e400 included (JSON.parse reads it as
// Infinity; the guard keeps its bytes), which a float64 cannot (found by
// FuzzDecide, testdata/fuzz/FuzzDecide/733d72413d8150b5).
func decodeNumbers(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

// placeholder reports an anthropic:default the guard may overwrite without
// keeping it: an API key profile whose key is empty, the placeholder, or
// already the local key (only its provider's spelling changes).
func placeholder(canonical string) bool {
	var p map[string]any
	if json.Unmarshal([]byte(canonical), &p) != nil || p["type"] != "api_key" {
		return false
	}
	if normalizeProvider(str(p["provider"])) != "anthropic" {
		return false
	}
	key := str(p["key"])
	return strings.TrimSpace(key) == "" || key == DefaultKey || key == testKey
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// holdsInvariant checks the guard's invariant with encoding/json, the way
// Clawdbot (JSON.parse) reads the file: the last of repeated names wins.
func holdsInvariant(data []byte, key string) error {
	var store map[string]any
	if err := decodeNumbers(data, &store); err != nil {
		return err
	}
	profiles, _ := store["profiles"].(map[string]any)
	p, _ := profiles[DefaultProfile].(map[string]any)
	if p["type"] != "api_key" || p["provider"] != "anthropic" || p["key"] != key {
		return fmt.Errorf("anthropic:default is %v", p)
	}
	order, ok := store["order"].(map[string]any)
	if !ok {
		return fmt.Errorf("order is %v", store["order"])
	}
	found := false
	for name, v := range order {
		if normalizeProvider(name) != "anthropic" {
			continue
		}
		found = true
		if l, _ := v.([]any); len(l) != 1 || l[0] != DefaultProfile {
			return fmt.Errorf("order.%s is %v", name, v)
		}
	}
	if !found {
		return fmt.Errorf("no order.anthropic")
	}
	lastGood, _ := store["lastGood"].(map[string]any)
	if lastGood["anthropic"] != DefaultProfile {
		return fmt.Errorf("lastGood.anthropic is %v", lastGood["anthropic"])
	}
	return nil
}
