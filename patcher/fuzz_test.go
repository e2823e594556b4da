package patcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzBaseURLs are the base URLs the catalog fuzzer patches with, picked by
// one fuzzed byte: the default, a re-point to another port, and one with a
// path and TLS.
var fuzzBaseURLs = []string{DefaultBaseURL, "http://127.0.0.1:5000", "https://llm.example.test:8443/anthropic"}

// addCatalogSeeds seeds a fuzzer with the real (trimmed) catalogs, their
// patched goldens and the hand-written layouts of the unit tests.
func addCatalogSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "pi-ai-*.js"))
	if len(files) == 0 {
		f.Fatal("no catalog fixtures in testdata")
	}
	for i, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(i))
	}
	const head = "export const MODELS = {\n"
	for i, s := range []string{
		`export const MODELS={"anthropic":{"m":{id:"m",api:"anthropic-messages",provider:"anthropic",baseUrl:"https://api.anthropic.com",reasoning:false}}};`,
		head + `"anthropic": { "m": { api: "anthropic-messages", provider: "anthropic", baseUrl: "https://api.anthropic.com/" } } };`,
		head + `"anthropic": { "m": { api: "anthropic-messages", provider: "anthropic", baseUrl: 'https://api.anthropic.com', } },
"proxy": { "n": { api: "anthropic-messages", provider: "proxy", baseUrl: "https://api.minimax.io/anthropic" } } };`,
		head + `"anthropic": { "m": { api: "anthropic-messages", provider: "anthropic", baseUrl: "http://127.0.0.1:4000" /* clawbridge: was "https://API.anthropic.com" */ } } };`,
	} {
		f.Add([]byte(s), uint8(i))
	}
}

// FuzzCatalog feeds arbitrary files to the catalog parser, patcher and
// undo. None may panic; a patch touches nothing but the Anthropic base URL
// literals (and their markers), reads back as patched, is idempotent, and
// undo of the result is undo of the input: for a file clawbridge never
// touched, the original bytes.
func FuzzCatalog(f *testing.F) {
	addCatalogSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte, pick uint8) {
		base := fuzzBaseURLs[int(pick)%len(fuzzBaseURLs)]
		c, err := parseCatalog(src)
		if err != nil {
			if !errors.Is(err, ErrNotCatalog) {
				t.Fatalf("parse error %v is not ErrNotCatalog", err)
			}
			if _, _, perr := patchCatalog(src, base); perr == nil {
				t.Fatal("patched a file that does not parse")
			}
			return
		}
		undone, restored, err := undoCatalog(src)
		if err != nil {
			return // a marker that records no restorable literal: refused
		}
		if restored > 0 {
			u, err := parseCatalog(undone)
			if err != nil {
				t.Fatalf("undo output does not parse: %v\n%s", err, undone)
			}
			for _, s := range u.sites {
				if s.marked {
					t.Fatalf("undo left %s/%s marked:\n%s", s.provider, s.model, undone)
				}
			}
		}
		out, n, err := patchCatalog(src, base)
		if err != nil {
			return // a URL that cannot be recorded, or no site: refused, nothing written
		}
		if n == 0 && !bytes.Equal(out, src) {
			t.Fatal("no URL rewritten but the output differs")
		}
		after, err := parseCatalog(out)
		if err != nil {
			t.Fatalf("patched output does not parse: %v\n%s", err, out)
		}
		if total, patched := after.counts(base); total != len(c.sites) || patched != total {
			t.Fatalf("after patch %d of %d URLs point at %s, input had %d", patched, total, base, len(c.sites))
		}
		if got, want := outsideSites(out, after), outsideSites(src, c); !bytes.Equal(got, want) {
			t.Fatalf("patch changed bytes outside the base URLs:\n in: %q\nout: %q", want, got)
		}
		again, n2, err := patchCatalog(out, base)
		if err != nil || n2 != 0 || !bytes.Equal(again, out) {
			t.Fatalf("second patch: n=%d err=%v", n2, err)
		}
		back, _, err := undoCatalog(out)
		if err != nil {
			t.Fatalf("undo of the patched output: %v", err)
		}
		if !bytes.Equal(back, undone) {
			t.Fatalf("undo(patch(x)) != undo(x):\n got %q\nwant %q", back, undone)
		}
		if !bytes.Contains(src, []byte(markerPrefix)) && !bytes.Equal(back, src) {
			t.Fatalf("undo is not the original:\n got %q\nwant %q", back, src)
		}
	})
}

// outsideSites is src with every base URL site (the literal, and its
// marker when there is one) cut out: what a patch must leave alone.
func outsideSites(src []byte, c *catalog) []byte {
	var b bytes.Buffer
	at := 0
	for _, s := range c.sites {
		end := s.end
		if s.marked {
			end = s.markEnd
		}
		b.Write(src[at:s.start])
		b.WriteString("\x00")
		at = end
	}
	b.Write(src[at:])
	return b.Bytes()
}

// FuzzPatchConfig runs PatchConfig then UndoConfig on arbitrary config
// files (JSON, JSON with comments, JSON5). Neither may panic; a refused
// edit leaves the file as it was, an accepted one writes a backup equal to
// the input, keeps the mode, and reads back as patched.
func FuzzPatchConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "config", "*"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{models: {providers: {anthropic: {baseUrl: 'http://127.0.0.1:4000', api: "anthropic-messages", models: []}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "openclaw.json")
		if err := os.WriteFile(path, data, 0o640); err != nil {
			t.Fatal(err)
		}
		res, err := PatchConfig(path, DefaultBaseURL, configNow)
		got, rerr := os.ReadFile(path)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil || !res.Changed {
			if !bytes.Equal(got, data) {
				t.Fatalf("refused or unchanged edit (%v) changed the file", err)
			}
			return
		}
		if backup, err := os.ReadFile(res.Backup); err != nil || !bytes.Equal(backup, data) {
			t.Fatalf("backup %s is not the input (%v)", res.Backup, err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
			t.Fatalf("mode after patch: %v %v", fi, err)
		}
		st, err := InspectConfig(path, DefaultBaseURL)
		if err != nil || !st.Patched {
			t.Fatalf("patched config inspects as %+v, %v:\n%s", st, err, got)
		}
		if _, err := UndoConfig(path, configNow); err != nil && !strings.Contains(err.Error(), "edited since") && !strings.Contains(err.Error(), "not at this machine") {
			t.Fatalf("undo of a config clawbridge just patched: %v", err)
		}
	})
}

// FuzzProviderJSON feeds arbitrary files to the JSON catalog's parser,
// patcher and undo. None may panic; a patch yields valid JSON that reads
// back fully patched, a second patch changes nothing, and undo of the
// result is undo of the input.
func FuzzProviderJSON(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "pi-ai-*.json"))
	if len(files) == 0 {
		f.Fatal("no JSON catalog fixtures in testdata")
	}
	for i, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(i))
	}
	f.Add([]byte(`{"m":{"provider":"anthropic","api":"anthropic-messages","baseUrl":"http://127.0.0.1:4000"}}`), uint8(0))
	f.Fuzz(func(t *testing.T, src []byte, pick uint8) {
		base := fuzzBaseURLs[int(pick)%len(fuzzBaseURLs)]
		if _, err := ProviderJSON.parse(src); err != nil {
			if !errors.Is(err, ErrNotCatalog) {
				t.Fatalf("parse error %v is not ErrNotCatalog", err)
			}
			return
		}
		out, n, err := patchAs(ProviderJSON, src, base)
		if err != nil {
			return // an original it could not restore, or not JSON: refused
		}
		c, err := ProviderJSON.parse(out)
		if err != nil || !json.Valid(out) {
			t.Fatalf("patched output does not parse: %v\n%s", err, out)
		}
		if total, patched := c.counts(base); total != patched {
			t.Fatalf("%d of %d patched after rewriting %d", patched, total, n)
		}
		if again, m, err := patchAs(ProviderJSON, out, base); err != nil || m != 0 || !bytes.Equal(again, out) {
			t.Fatalf("second patch: %d %v", m, err)
		}
		a, _, errA := undoAs(ProviderJSON, src)
		b, _, errB := undoAs(ProviderJSON, out)
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Fatalf("undo of the patch differs from undo of the input: %v %v", errA, errB)
		}
	})
}
