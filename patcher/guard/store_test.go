package guard

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/peers"

	"github.com/clawbridge/clawbridge/daemon/golden"
)

// testKey is the key the golden files pin.
const testKey = "sk-litellm-local"

var testNow = time.UnixMilli(1780000000000)

func changeLines(cs []change) []byte {
	var b bytes.Buffer
	for _, c := range cs {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// TestPinGolden repairs each testdata/pin input and compares the result and
// the change texts with the goldens. An input that already holds the
// invariant must produce no write and has no .want.json.
func TestPinGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/pin/*.in.json")
	if len(inputs) == 0 {
		t.Fatal("no inputs")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in.json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out := decide(data, true, nil, testKey, testNow)
			base := strings.TrimSuffix(in, ".in.json")
			if out.write == nil {
				if len(out.changes) != 0 || out.kind != OK {
					t.Fatalf("no write but kind %v, changes %q", out.kind, out.changes)
				}
				if _, err := os.Stat(base + ".want.json"); err == nil {
					t.Fatalf("%s expects a write, got none", base+".want.json")
				}
				return
			}
			if out.kind != Restored {
				t.Errorf("kind = %v, want restored", out.kind)
			}
			golden.Check(t, base+".want.json", out.write)
			golden.Check(t, base+".changes.txt", changeLines(out.changes))
			assertInvariant(t, out.write, testKey)
			assertUntouched(t, data, out.write)
			again := decide(out.write, true, out.write, testKey, testNow)
			if again.write != nil {
				t.Errorf("second pass wants another write: %q", again.changes)
			}
		})
	}
}

// TestRecoverGolden replays data-loss cases: testdata/recover/<case>.last.json
// is the guard's last good copy, <case>.in.json what the file turned into.
func TestRecoverGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/recover/*.in.json")
	if len(inputs) == 0 {
		t.Fatal("no inputs")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in.json")
		t.Run(name, func(t *testing.T) {
			base := strings.TrimSuffix(in, ".in.json")
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			last, err := os.ReadFile(base + ".last.json")
			if err != nil {
				t.Fatal(err)
			}
			out := decide(data, true, last, testKey, testNow)
			if out.write == nil {
				if _, err := os.Stat(base + ".want.json"); err == nil {
					t.Fatalf("%s expects a write, got none", base+".want.json")
				}
				return
			}
			golden.Check(t, base+".want.json", out.write)
			golden.Check(t, base+".changes.txt", changeLines(out.changes))
			assertInvariant(t, out.write, testKey)
		})
	}
}

// TestRecoverRules pins down which losses the guard undoes.
func TestRecoverRules(t *testing.T) {
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata/recover", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	t.Run("rebuilt store gets every profile and usage entry back", func(t *testing.T) {
		out := decide(read("rebuilt.in.json"), true, read("rebuilt.last.json"), testKey, testNow)
		if out.kind != Recovered {
			t.Fatalf("kind = %v", out.kind)
		}
		got := decodeStore(t, out.write)
		last := decodeStore(t, read("rebuilt.last.json"))
		for id := range last.Profiles {
			if _, ok := got.Profiles[id]; !ok {
				t.Errorf("profile %s lost", id)
			}
		}
		for id := range last.UsageStats {
			if _, ok := got.UsageStats[id]; !ok {
				t.Errorf("usageStats %s lost", id)
			}
		}
		var access string
		json.Unmarshal(got.Profiles[ClaudeCLIProfile]["access"], &access)
		if access != "sk-ant-oat01-NEWER" {
			t.Errorf("the rebuilt store's newer OAuth token was replaced by the older one")
		}
	})
	t.Run("a profile the user removed stays removed", func(t *testing.T) {
		out := decide(read("user-removed.in.json"), true, read("user-removed.last.json"), testKey, testNow)
		if out.write != nil {
			t.Fatalf("guard rewrote a file that holds the invariant: %q", out.changes)
		}
	})
	t.Run("anthropic:default always comes back", func(t *testing.T) {
		last := read("user-removed.in.json")
		in := bytes.Replace(last, []byte(`"anthropic:default": {`), []byte(`"anthropic:gone": {`), 1)
		out := decide(in, true, last, testKey, testNow)
		if out.kind != Recovered {
			t.Fatalf("kind = %v, changes %q", out.kind, out.changes)
		}
		got := decodeStore(t, out.write)
		if _, ok := got.Profiles["anthropic:gone"]; !ok {
			t.Error("the renamed profile was dropped")
		}
	})
}

// storeJSON is an independent decoding of an auth store for assertions.
type storeJSON struct {
	Version    int                                   `json:"version"`
	Profiles   map[string]map[string]json.RawMessage `json:"profiles"`
	Order      map[string][]string                   `json:"order"`
	LastGood   map[string]string                     `json:"lastGood"`
	UsageStats map[string]json.RawMessage            `json:"usageStats"`
}

func decodeStore(t testing.TB, data []byte) storeJSON {
	t.Helper()
	var s storeJSON
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("decode store: %v\n%s", err, data)
	}
	return s
}

// assertInvariant checks the invariant with encoding/json, independently of
// the guard's own reading.
func assertInvariant(t testing.TB, data []byte, key string) {
	t.Helper()
	s := decodeStore(t, data)
	var typ, provider, k string
	p := s.Profiles[DefaultProfile]
	json.Unmarshal(p["type"], &typ)
	json.Unmarshal(p["provider"], &provider)
	json.Unmarshal(p["key"], &k)
	if typ != "api_key" || provider != "anthropic" || k != key {
		t.Errorf("anthropic:default = %s/%s/%s", typ, provider, MaskKey(k))
	}
	if got := s.Order["anthropic"]; len(got) != 1 || got[0] != DefaultProfile {
		t.Errorf("order.anthropic = %q", got)
	}
	if got := s.LastGood["anthropic"]; got != DefaultProfile {
		t.Errorf("lastGood.anthropic = %q", got)
	}
}

// assertUntouched checks that every member the invariant does not cover has
// the same bytes in out as in in: top-level members other than the edited
// sections, and the entries of those sections other than the pinned ones.
func assertUntouched(t *testing.T, in, out []byte) {
	t.Helper()
	a, err := parseObject(in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseObject(out)
	if err != nil {
		t.Fatal(err)
	}
	pinned := map[string]string{"profiles": DefaultProfile, "order": "anthropic", "lastGood": "anthropic"}
	for name, v := range a.members() {
		got, ok := b.get(name)
		if !ok {
			t.Errorf("member %q dropped", name)
			continue
		}
		if _, edited := pinned[name]; !edited {
			if !bytes.Equal(bytesOf(got), bytesOf(v)) {
				t.Errorf("member %q changed:\n%s\n->\n%s", name, bytesOf(v), bytesOf(got))
			}
			continue
		}
		inner, ok := asObject(v)
		if !ok {
			continue
		}
		innerOut, ok := asObject(got)
		if !ok {
			t.Errorf("%s is no longer an object", name)
			continue
		}
		for e, ev := range inner.members() {
			if e == pinned[name] {
				continue
			}
			w, ok := innerOut.get(e)
			if !ok {
				t.Errorf("%s.%s dropped", name, e)
			} else if !bytes.Equal(bytesOf(w), bytesOf(ev)) {
				t.Errorf("%s.%s changed:\n%s\n->\n%s", name, e, bytesOf(ev), bytesOf(w))
			}
		}
	}
}

// TestLayoutMatchesClawdbot checks with node that every golden output in
// Clawdbot's format is exactly what Clawdbot's writer,
// JSON.stringify(store, null, 2) + "\n", produces for the same object, so a
// file the guard wrote reads back byte for byte after Clawdbot's next save.
// The hand-edited input (raw-*) keeps its own layout and is left out.
func TestLayoutMatchesClawdbot(t *testing.T) {
	node := nodeBin(t)
	var files []string
	for _, pattern := range []string{"testdata/pin/*.json", "testdata/recover/*.json"} {
		m, _ := filepath.Glob(pattern)
		for _, f := range m {
			if !strings.Contains(filepath.Base(f), "raw-") && !strings.HasSuffix(f, "torn.in.json") {
				files = append(files, f)
			}
		}
	}
	script := `
const fs = require("fs");
let bad = 0;
for (const f of process.argv.slice(1)) {
  const text = fs.readFileSync(f, "utf8");
  if (JSON.stringify(JSON.parse(text), null, 2) + "\n" !== text) { console.log("differs: " + f); bad++; }
}
process.exit(bad ? 1 : 0);
`
	cmd := exec.Command(node, append([]string{"-e", script}, files...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	t.Logf("checked %d files against JSON.stringify", len(files))
}

// nodeBin finds node, the reference for JSON.stringify: the provisioned
// Node 22 when there is one, else node on PATH.
func nodeBin(t *testing.T) string {
	t.Helper()
	if n := os.Getenv("CLAWBRIDGE_NODE22_BIN"); n != "" {
		return n
	}
	node, err := exec.LookPath("node")
	if err != nil {
		peers.Missing(t, "no node: set CLAWBRIDGE_NODE22_BIN or put node on PATH (the reference JSON writer)")
	}
	return node
}

func TestDecideMissingFile(t *testing.T) {
	out := decide(nil, false, nil, testKey, testNow)
	if out.kind != Created || out.write == nil {
		t.Fatalf("kind %v write %v", out.kind, out.write != nil)
	}
	assertInvariant(t, out.write, testKey)
	want := "{\n  \"version\": 1,\n  \"profiles\": {\n    \"anthropic:default\": {\n      \"type\": \"api_key\",\n      \"provider\": \"anthropic\",\n      \"key\": \"sk-litellm-local\"\n    }\n  },\n  \"order\": {\n    \"anthropic\": [\n      \"anthropic:default\"\n    ]\n  },\n  \"lastGood\": {\n    \"anthropic\": \"anthropic:default\"\n  }\n}\n"
	if string(out.write) != want {
		t.Errorf("fresh store:\n%s", out.write)
	}
}

func TestDecideNotAStore(t *testing.T) {
	for _, in := range []string{``, `   `, `[]`, `"x"`, `{"profiles": []}`, `{"profiles": "x"}`, "\xef\xbb\xbf{}", `{"version":1,"profiles":{`} {
		out := decide([]byte(in), true, nil, testKey, testNow)
		if !out.broken || out.kind != Recovered {
			t.Errorf("%q: broken=%v kind=%v", in, out.broken, out.kind)
		}
		assertInvariant(t, out.write, testKey)
	}
	// A valid object without profiles is repaired, not treated as broken.
	out := decide([]byte(`{"version":1}`), true, nil, testKey, testNow)
	if out.broken || out.kind != Restored {
		t.Errorf("{version:1}: broken=%v kind=%v", out.broken, out.kind)
	}
	assertInvariant(t, out.write, testKey)
}

func TestChangesNeverHoldSecrets(t *testing.T) {
	secrets := []string{"sk-litellm-local", "sk-ant-oat01", "sk-ant-ort01", "sk-proj-OPENAI", "sk-ant-api03-REAL", "TOKEN", "MISTRAL"}
	files, _ := filepath.Glob("testdata/*/*.changes.txt")
	if len(files) == 0 {
		t.Fatal("no change goldens")
	}
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s mentions %q", f, s)
			}
		}
	}
}

func TestPreferred(t *testing.T) {
	cases := []struct {
		store, want string
	}{
		{`{"profiles":{"anthropic:default":{"type":"api_key","provider":"anthropic","key":"k"},"anthropic:claude-cli":{"type":"oauth","provider":"anthropic","access":"a"}}}`, ClaudeCLIProfile},
		{`{"profiles":{"anthropic:default":{"type":"api_key","provider":"anthropic","key":"k"},"anthropic:claude-cli":{"type":"token","provider":"anthropic","token":"t","expires":1}}}`, DefaultProfile},
		{`{"profiles":{"anthropic:default":{"type":"api_key","provider":"anthropic","key":"k"},"anthropic:claude-cli":{"type":"oauth","provider":"anthropic","access":"a"}},"order":{"Anthropic":["anthropic:default"]}}`, DefaultProfile},
		{`{"profiles":{"anthropic:default":{"type":"api_key","provider":"anthropic","key":" "}}}`, ""},
		{`{"profiles":{"a:1":{"type":"token","provider":"anthropic","token":"t"},"a:2":{"type":"token","provider":"anthropic","token":"t"}},"usageStats":{"a:1":{"lastUsed":5},"a:2":{"lastUsed":3}}}`, "a:2"},
	}
	for _, c := range cases {
		top, err := parseObject([]byte(c.store))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := preferred(top, testNow); got != c.want {
			t.Errorf("%s: got %q, want %q", c.store, got, c.want)
		}
	}
}

func TestOrderKeysNormalised(t *testing.T) {
	// Clawdbot matches order keys case-insensitively; each spelling of
	// anthropic must be pinned, or the first one would win.
	in := []byte(`{"version":1,"profiles":{"anthropic:default":{"type":"api_key","provider":"anthropic","key":"sk-litellm-local"}},"order":{"Anthropic":["anthropic:claude-cli"],"anthropic":["anthropic:default"]},"lastGood":{"anthropic":"anthropic:default"}}`)
	out := decide(in, true, nil, testKey, testNow)
	if out.write == nil {
		t.Fatal("no write")
	}
	s := decodeStore(t, out.write)
	if got := s.Order["Anthropic"]; len(got) != 1 || got[0] != DefaultProfile {
		t.Errorf("order.Anthropic = %q", got)
	}
}
