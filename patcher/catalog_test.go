package patcher

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/golden"
)

// fixtures are trimmed real catalogs (testdata/trim-catalog.js) and how
// many Anthropic base URLs each holds.
var fixtures = []struct {
	version string
	urls    int
}{
	{"0.49.3", 6},
	{"0.73.1", 6},
}

func readFixture(t *testing.T, version string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "pi-ai-"+version+".models.generated.js"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	originalLine = `            baseUrl: "https://api.anthropic.com",`
	patchedLine  = `            baseUrl: "http://127.0.0.1:4000" /* clawbridge */,`
)

func TestPatchCatalogGolden(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.version, func(t *testing.T) {
			src := readFixture(t, f.version)
			out, n, err := patchCatalog(src, DefaultBaseURL)
			if err != nil {
				t.Fatal(err)
			}
			if n != f.urls {
				t.Errorf("rewrote %d URLs, want %d", n, f.urls)
			}
			golden.Check(t, filepath.Join("testdata", "pi-ai-"+f.version+".patched.js"), out)
			if bytes.Contains(out, []byte("api.anthropic.com")) {
				t.Error("api.anthropic.com still in the patched file")
			}
			assertOnlyBaseURLLinesChanged(t, src, out, f.urls, true)
		})
	}
}

// assertOnlyBaseURLLinesChanged compares src and out line by line: the
// only differences allowed are Anthropic base URL lines turned into patched
// ones, exactly n of them (with anthropicOnly, all inside the anthropic
// provider).
func assertOnlyBaseURLLinesChanged(t *testing.T, src, out []byte, n int, anthropicOnly bool) {
	t.Helper()
	a, b := strings.Split(string(src), "\n"), strings.Split(string(out), "\n")
	if len(a) != len(b) {
		t.Fatalf("line count changed: %d -> %d", len(a), len(b))
	}
	provider, changed := "", 0
	for i := range a {
		if strings.HasPrefix(a[i], `    "`) && strings.HasSuffix(a[i], `": {`) {
			provider = strings.TrimSuffix(strings.TrimPrefix(a[i], `    "`), `": {`)
		}
		if a[i] == b[i] {
			continue
		}
		changed++
		if a[i] != originalLine || b[i] != patchedLine || (anthropicOnly && provider != "anthropic") {
			t.Errorf("line %d in provider %q changed:\n  %s\n  %s", i+1, provider, a[i], b[i])
		}
	}
	if changed != n {
		t.Errorf("%d lines changed, want %d", changed, n)
	}
}

func TestPatchCatalogIdempotentAndUndo(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.version, func(t *testing.T) {
			src := readFixture(t, f.version)
			once, _, err := patchCatalog(src, DefaultBaseURL)
			if err != nil {
				t.Fatal(err)
			}
			twice, n, err := patchCatalog(once, DefaultBaseURL)
			if err != nil || n != 0 || !bytes.Equal(once, twice) {
				t.Fatalf("second patch: n=%d err=%v changed=%v", n, err, !bytes.Equal(once, twice))
			}
			c, err := parseCatalog(once)
			if err != nil {
				t.Fatal(err)
			}
			if total, patched := c.counts(DefaultBaseURL); total != f.urls || patched != f.urls {
				t.Errorf("counts = %d/%d, want %d/%d", patched, total, f.urls, f.urls)
			}

			// A new base URL moves the URLs clawbridge already moved.
			moved, n, err := patchCatalog(once, "http://127.0.0.1:5000")
			if err != nil || n != f.urls {
				t.Fatalf("re-point: n=%d err=%v", n, err)
			}
			if c, _ := parseCatalog(moved); c == nil {
				t.Fatal("re-pointed catalog does not parse")
			} else if _, patched := c.counts("http://127.0.0.1:5000"); patched != f.urls {
				t.Errorf("re-pointed %d URLs, want %d", patched, f.urls)
			}

			for name, in := range map[string][]byte{"patched": once, "re-pointed": moved} {
				restored, n, err := undoCatalog(in)
				if err != nil || n != f.urls {
					t.Fatalf("undo %s: n=%d err=%v", name, n, err)
				}
				if !bytes.Equal(restored, src) {
					t.Errorf("undo %s is not byte-identical to the original", name)
				}
			}
			if out, n, err := undoCatalog(src); err != nil || n != 0 || !bytes.Equal(out, src) {
				t.Errorf("undo of an unpatched catalog: n=%d err=%v", n, err)
			}
		})
	}
}

func TestPatchCatalogLayouts(t *testing.T) {
	const head = "export const MODELS = {\n"
	tests := []struct {
		name string
		src  string
		want string
		n    int
	}{
		{
			name: "minified",
			src:  `export const MODELS={"anthropic":{"m":{id:"m",api:"anthropic-messages",provider:"anthropic",baseUrl:"https://api.anthropic.com",reasoning:false}}};`,
			want: `export const MODELS={"anthropic":{"m":{id:"m",api:"anthropic-messages",provider:"anthropic",baseUrl:"http://127.0.0.1:4000" /* clawbridge */,reasoning:false}}};`,
			n:    1,
		},
		{
			name: "non-canonical original is recorded",
			src:  head + `"anthropic": { "m": { api: "anthropic-messages", provider: "anthropic", baseUrl: "https://api.anthropic.com/" } } };`,
			want: head + `"anthropic": { "m": { api: "anthropic-messages", provider: "anthropic", baseUrl: "http://127.0.0.1:4000" /* clawbridge: was "https://api.anthropic.com/" */ } } };`,
			n:    1,
		},
		{
			name: "anthropic URL under another provider is patched too",
			src: head + `"anthropic": { "m": { api: "anthropic-messages", provider: "anthropic", baseUrl: "https://api.anthropic.com" } },
"proxy": { "m": { api: "anthropic-messages", provider: "proxy", baseUrl: "https://api.anthropic.com" },
           "n": { api: "anthropic-messages", provider: "proxy", baseUrl: "https://api.minimax.io/anthropic" } } };`,
			want: head + `"anthropic": { "m": { api: "anthropic-messages", provider: "anthropic", baseUrl: "http://127.0.0.1:4000" /* clawbridge */ } },
"proxy": { "m": { api: "anthropic-messages", provider: "proxy", baseUrl: "http://127.0.0.1:4000" /* clawbridge */ },
           "n": { api: "anthropic-messages", provider: "proxy", baseUrl: "https://api.minimax.io/anthropic" } } };`,
			n: 2,
		},
		{
			name: "comments, nested objects, arrays and other statements",
			src: "// generated\n/* block { not a brace */\n" + head + `"anthropic": { "m": {
    headers: { "X": "}" }, input: ["text", "image"], cost: { input: -1 },
    api: "anthropic-messages", provider: "anthropic", // trailing { comment
    baseUrl: 'https://api.anthropic.com', } } };
export const OTHER = 1;
//# sourceMappingURL=models.generated.js.map`,
			want: "// generated\n/* block { not a brace */\n" + head + `"anthropic": { "m": {
    headers: { "X": "}" }, input: ["text", "image"], cost: { input: -1 },
    api: "anthropic-messages", provider: "anthropic", // trailing { comment
    baseUrl: "http://127.0.0.1:4000" /* clawbridge: was 'https://api.anthropic.com' */, } } };
export const OTHER = 1;
//# sourceMappingURL=models.generated.js.map`,
			n: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, n, err := patchCatalog([]byte(tt.src), DefaultBaseURL)
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.n || string(out) != tt.want {
				t.Fatalf("patch: n=%d\n got: %s\nwant: %s", n, out, tt.want)
			}
			back, _, err := undoCatalog(out)
			if err != nil {
				t.Fatal(err)
			}
			if string(back) != tt.src {
				t.Fatalf("undo:\n got: %s\nwant: %s", back, tt.src)
			}
		})
	}
}

func TestParseCatalogRejectsIncompleteFiles(t *testing.T) {
	src := readFixture(t, "0.49.3")
	end := bytes.Index(src, []byte("\n};")) + len("\n};")
	// Every prefix that stops before the end of the MODELS object, as a
	// reader sees a file being written in place, is refused.
	for cut := 0; cut < end; cut += 37 {
		if _, err := parseCatalog(src[:cut]); !errors.Is(err, ErrNotCatalog) {
			t.Fatalf("prefix of %d bytes: err = %v, want ErrNotCatalog", cut, err)
		}
	}
	if _, err := parseCatalog(src[:end]); err != nil {
		t.Errorf("catalog without its source-map comment: %v", err)
	}

	bad := map[string]string{
		"empty":              "",
		"no export":          strings.Replace(string(src), "export const MODELS", "const MODELS", 1),
		"other export":       strings.Replace(string(src), "export const MODELS", "export const OTHER", 1),
		"no anthropic":       strings.ReplaceAll(string(src), `"anthropic-messages"`, `"messages"`),
		"model not object":   "export const MODELS = { \"anthropic\": { \"m\": 1 } };",
		"no semicolon":       "export const MODELS = { \"anthropic\": {} }",
		"unterminated str":   "export const MODELS = { \"anthropic\": { \"m\": { baseUrl: \"https://api.anthropic.com",
		"unterminated block": "/* export const MODELS = {};",
		"some other module":  "export function getModel(p, id) { return MODELS[p]?.[id]; }\n",
	}
	for name, s := range bad {
		if _, err := parseCatalog([]byte(s)); !errors.Is(err, ErrNotCatalog) {
			t.Errorf("%s: err = %v, want ErrNotCatalog", name, err)
		}
	}
}

func TestCheckBaseURL(t *testing.T) {
	good := map[string]string{
		"http://127.0.0.1:4000":        "http://127.0.0.1:4000",
		"http://127.0.0.1:4000/":       "http://127.0.0.1:4000",
		" http://localhost:4000 ":      "http://localhost:4000",
		"https://bridge.example/proxy": "https://bridge.example/proxy",
		"http://[::1]:4000":            "http://[::1]:4000",
	}
	for in, want := range good {
		if got, err := CheckBaseURL(in); err != nil || got != want {
			t.Errorf("CheckBaseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", "127.0.0.1:4000", "ftp://x", "http://", "http://127.0.0.1:4000/v1",
		"http://x/?a=1", "http://u:p@x", `http://x/"`, "http://x/*/y", "https://api.anthropic.com",
		"http://x/a b",
	} {
		if got, err := CheckBaseURL(in); err == nil {
			t.Errorf("CheckBaseURL(%q) = %q, want an error", in, got)
		}
	}
}

func TestBaseURLForListen(t *testing.T) {
	tests := map[string]string{
		"127.0.0.1:4000": "http://127.0.0.1:4000",
		":4000":          "http://127.0.0.1:4000",
		"0.0.0.0:4000":   "http://127.0.0.1:4000",
		"[::]:4000":      "http://127.0.0.1:4000",
		"[::1]:4001":     "http://[::1]:4001",
		"localhost:4000": "http://localhost:4000",
	}
	for in, want := range tests {
		if got, err := BaseURLForListen(in); err != nil || got != want {
			t.Errorf("BaseURLForListen(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"4000", "127.0.0.1", "127.0.0.1:"} {
		if _, err := BaseURLForListen(in); err == nil {
			t.Errorf("BaseURLForListen(%q): want an error", in)
		}
	}
}
