package notify

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/peers"
)

// TestBundleObjectiveCCompiles checks bundle_cgo.go's Objective-C, which
// only a Mac builds, with clang against stand-ins for the SDK headers
// (testdata/objc, declaring what it uses with Apple's signatures): syntax,
// blocks and ARC rules. Linking and behaviour are in docs/macos-checklist.
func TestBundleObjectiveCCompiles(t *testing.T) {
	clang, err := exec.LookPath("clang")
	if err != nil {
		peers.Missing(t, "clang is not installed (apt-get install clang)")
	}
	src, err := os.ReadFile("bundle_cgo.go")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	start, end := strings.Index(s, "/*\n"), strings.Index(s, "*/\nimport \"C\"")
	if start < 0 || end < start {
		t.Fatal("no cgo preamble in bundle_cgo.go")
	}
	var lines []string
	for _, l := range strings.Split(s[start+3:end], "\n") {
		if !strings.HasPrefix(l, "#cgo") {
			lines = append(lines, l)
		}
	}
	lines = append(lines, `int main(void) { char *e = cb_in_bundle() ? cb_authorize() : cb_post("t", "b"); free(e); return 0; }`)
	m := filepath.Join(t.TempDir(), "bundle.m")
	if err := os.WriteFile(m, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(clang, "-fsyntax-only", "-fobjc-arc", "-fblocks", "-fobjc-runtime=macosx-10.15",
		"-I", filepath.Join("testdata", "objc"), "-Wall", "-Wextra", "-Werror", "-Wno-unused-function", "-Wno-unused-parameter", m).CombinedOutput()
	if err != nil {
		t.Fatalf("clang: %v\n%s", err, out)
	}
}
