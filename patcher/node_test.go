package patcher

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/peers"
)

// requirePeer skips a test whose real peer is missing, or fails it when
// CLAWBRIDGE_REQUIRE_PEERS is set (as `make test` does).
func requirePeer(t *testing.T, msg string) {
	t.Helper()
	peers.Missing(t, msg)
}

// nodeBin returns the Node.js binary that loads catalogs: the provisioned
// CLAWBRIDGE_NODE22_BIN, else node on PATH.
func nodeBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CLAWBRIDGE_NODE22_BIN"); p != "" {
		return p
	}
	if p, err := exec.LookPath("node"); err == nil {
		return p
	}
	requirePeer(t, "no Node.js: CLAWBRIDGE_NODE22_BIN is unset and node is not on PATH")
	return ""
}

// loadBaseURLs imports a catalog in Node.js, the way pi-ai does, and
// returns every model's baseUrl by provider and model id.
func loadBaseURLs(t *testing.T, node string, src []byte) map[string]map[string]string {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "models.generated.mjs")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	const script = `
const { MODELS } = await import(process.argv[1]);
const out = {};
for (const [p, models] of Object.entries(MODELS)) {
	out[p] = {};
	for (const [id, m] of Object.entries(models)) out[p][id] = m.baseUrl;
}
console.log(JSON.stringify(out));`
	cmd := exec.Command(node, "--input-type=module", "-e", script, file)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("node could not load the catalog: %v\n%s", err, stderr)
	}
	var urls map[string]map[string]string
	if err := json.Unmarshal(out, &urls); err != nil {
		t.Fatal(err)
	}
	return urls
}

// assertLoadsPatched checks in Node.js that patched differs from orig
// exactly in the Anthropic base URLs, which now all lead to base.
func assertLoadsPatched(t *testing.T, orig, patched []byte, base string) {
	t.Helper()
	node := nodeBin(t)
	before, after := loadBaseURLs(t, node, orig), loadBaseURLs(t, node, patched)
	moved := 0
	for p, models := range before {
		for id, url := range models {
			got := after[p][id]
			switch {
			case isAnthropicURL(url):
				moved++
				if got != base {
					t.Errorf("%s/%s: baseUrl %q, want %q", p, id, got, base)
				}
			case got != url:
				t.Errorf("%s/%s: baseUrl changed from %q to %q", p, id, url, got)
			}
		}
		if len(after[p]) != len(models) {
			t.Errorf("provider %s: %d models after patching, %d before", p, len(after[p]), len(models))
		}
	}
	if moved == 0 {
		t.Error("the catalog has no Anthropic model")
	}
}

func TestPatchedFixturesLoadInNode(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.version, func(t *testing.T) {
			src := readFixture(t, f.version)
			out, _, err := patchCatalog(src, DefaultBaseURL)
			if err != nil {
				t.Fatal(err)
			}
			assertLoadsPatched(t, src, out, DefaultBaseURL)
		})
	}
}
