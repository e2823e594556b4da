package patcher

import (
	"github.com/clawbridge/clawbridge/patcher/apptest"

	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// realOpenClawRoutes is what each provisioned OpenClaw release must be
// found as: its route, and for the catalog patch the pi-ai it loads and
// how many Anthropic base URLs that holds (counted in the published
// package).
var realOpenClawRoutes = map[string]struct {
	kind    RouteKind
	piAI    string
	version string
	urls    int
}{
	"2026.5.7":  {CatalogPatch, "@mariozechner/pi-ai", "0.73.0", 23},
	"2026.5.27": {CatalogPatch, "@earendil-works/pi-ai", "0.75.5", 23},
	"2026.6.35": {ConfigRoute, "", "", 0},
	"2026.9.6":  {ConfigRoute, "", "", 0},
}

// TestRealOpenClawInstalls finds each provisioned OpenClaw release
// (CLAWBRIDGE_OPENCLAW_RELEASES, each in CLAWBRIDGE_OPENCLAW_<V>_DIR, as
// .ci/provision-openclaw.sh installs them with pnpm), checks its version
// and route, and patches and undoes a copy of the pi-ai catalog it loads:
// exactly the Anthropic base URLs change and undo gives back the
// published bytes. The
// installs themselves are shared with other tests and only read.
func TestRealOpenClawInstalls(t *testing.T) {
	releases, missing := apptest.OpenClawReleases()
	if len(missing) > 0 {
		requirePeer(t, strings.Join(missing, "; "))
	}
	env := fakeEnv(t.TempDir(), nil)
	for _, rel := range releases {
		v, dir := rel.Version, rel.Dir
		t.Run(v, func(t *testing.T) {
			ins, err := FindInstalls(ProjectRoots([]string{dir}))
			if err != nil || len(ins) != 1 || ins[0].App != "openclaw" || ins[0].Version != v {
				t.Fatalf("installs in %s: %v %v", dir, ins, err)
			}
			r := RouteFor(ins[0], env)
			t.Logf("%v: %s", r.Kind, r.Reason)
			want, known := realOpenClawRoutes[v]
			if known && r.Kind != want.kind {
				t.Errorf("route %v, want %v", r.Kind, want.kind)
			}
			if known && want.kind == CatalogPatch {
				if len(r.Catalogs) != 1 || r.Catalogs[0].Package != want.piAI || r.Catalogs[0].Version != want.version {
					t.Fatalf("catalogs %+v, want %s %s", r.Catalogs, want.piAI, want.version)
				}
			}
			for _, c := range ins[0].Catalogs() {
				n := patchCopy(t, c)
				if known && want.kind == CatalogPatch && n != want.urls {
					t.Errorf("%s %s: %d Anthropic base URLs, the package has %d", c.Package, c.Version, n, want.urls)
				}
			}
		})
	}
}

// patchCopy patches and undoes a copy of t's catalog and returns how many
// base URLs moved.
func patchCopy(t *testing.T, c Target) int {
	t.Helper()
	src := mustRead(t, c.File)
	if orig, n, err := undoAs(c.Format, src); err == nil && n > 0 {
		src = orig // patched by a run that used this install
	}
	out, n, err := patchAs(c.Format, src, DefaultBaseURL)
	if err != nil || n == 0 {
		t.Fatalf("%s: patch: %d, %v", c.File, n, err)
	}
	lit := []byte(`"` + AnthropicBaseURL + `"`)
	if got := bytes.Count(src, lit) - bytes.Count(out, lit); got != n {
		t.Errorf("%s: %d literals replaced for %d base URLs", c.File, got, n)
	}
	back, m, err := undoAs(c.Format, out)
	if err != nil || m != n || !bytes.Equal(back, src) {
		t.Errorf("%s: undo: %d %v identical=%v", c.File, m, err, bytes.Equal(back, src))
	}
	copyDir := filepath.Join(t.TempDir(), "pkg")
	file := filepath.Join(copyDir, c.Format.Rel())
	mustWrite(t, file, src)
	cp := c
	cp.Dir, cp.RealDir, cp.File = copyDir, copyDir, file
	if res, err := Patch(cp, DefaultBaseURL); err != nil || res.Changed != n || !bytes.Equal(mustRead(t, file), out) {
		t.Errorf("%s: Patch on a copy: %+v %v", c.File, res, err)
	}
	if _, err := Undo(cp); err != nil || !bytes.Equal(mustRead(t, file), src) {
		t.Errorf("%s: Undo on a copy: %v", c.File, err)
	}
	t.Logf("%s %s %s: %d Anthropic base URLs", c.Package, c.Version, c.Format, n)
	return n
}
