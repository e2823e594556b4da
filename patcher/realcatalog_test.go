package patcher

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/peers"
)

// realCatalog is a complete pi-ai catalog as published.
type realCatalog struct {
	name, version string
	src           []byte
}

// realCatalogs collects the published catalogs provisioned for tests:
// every pi-ai package among the npm clients in CLAWBRIDGE_NPM_DIR (the
// versions Clawdbot pins and the latest, installed by
// .ci/provision-npm.sh; else cmd/clawbridge/testdata/npm when installed
// there), and every catalog in the real Clawdbot install at
// CLAWBRIDGE_CLAWDBOT_DIR. Both are read only here. Under
// CLAWBRIDGE_REQUIRE_PEERS a missing source is a failure.
func realCatalogs(t *testing.T) []realCatalog {
	t.Helper()
	var out []realCatalog
	var missing []string

	npmDir := os.Getenv("CLAWBRIDGE_NPM_DIR")
	if npmDir == "" {
		if _, err := os.Stat(filepath.Join("..", "cmd", "clawbridge", "testdata", "npm", "node_modules")); err == nil {
			npmDir = filepath.Join("..", "cmd", "clawbridge", "testdata", "npm")
		}
	}
	if npmDir == "" {
		missing = append(missing, "no npm clients: CLAWBRIDGE_NPM_DIR is unset and cmd/clawbridge/testdata/npm/node_modules is missing (.ci/provision-npm.sh installs them)")
	} else {
		pkgs, err := npmPiAI(npmDir)
		if err != nil {
			t.Fatal(err)
		}
		if len(pkgs) == 0 {
			t.Fatalf("no %s package in %s/node_modules", piAIName, npmDir)
		}
		out = append(out, pkgs...)
	}

	if dir := os.Getenv("CLAWBRIDGE_CLAWDBOT_DIR"); dir == "" {
		missing = append(missing, "no Clawdbot: CLAWBRIDGE_CLAWDBOT_DIR is unset (.ci/provision-clawdbot.sh installs it)")
	} else {
		targets, err := Discover([]string{dir}, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(targets) == 0 {
			t.Fatalf("no pi-ai catalog in CLAWBRIDGE_CLAWDBOT_DIR=%s", dir)
		}
		for _, tg := range targets {
			src, err := os.ReadFile(tg.File)
			if err != nil {
				t.Fatal(err)
			}
			// The install may be patched by an earlier, interrupted run;
			// compare against its original.
			if orig, n, err := undoCatalog(src); err == nil && n > 0 {
				src = orig
			}
			out = append(out, realCatalog{name: "install " + tg.Version, version: tg.Version, src: src})
		}
	}
	if len(missing) > 0 && (len(out) == 0 || peers.Required()) {
		requirePeer(t, strings.Join(missing, "; "))
	}
	return out
}

// npmPiAI reads every pi-ai package directly under dir/node_modules. The
// npm clients install it under aliases (pi-ai-0493, pi-ai-latest), so
// packages are recognised by the name in their package.json.
func npmPiAI(dir string) ([]realCatalog, error) {
	entries, err := os.ReadDir(filepath.Join(dir, "node_modules"))
	if err != nil {
		return nil, fmt.Errorf("npm clients: %w", err)
	}
	var out []realCatalog
	for _, e := range entries {
		pkgDir := filepath.Join(dir, "node_modules", e.Name())
		data, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
		if err != nil {
			continue // a scope directory or a package without a manifest
		}
		var pkg struct{ Name, Version string }
		if err := json.Unmarshal(data, &pkg); err != nil {
			return nil, fmt.Errorf("%s: %w", pkgDir, err)
		}
		if pkg.Name != piAIName {
			continue
		}
		src, err := os.ReadFile(filepath.Join(pkgDir, catalogRel))
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", piAIName, pkg.Version, err)
		}
		out = append(out, realCatalog{name: "npm " + pkg.Version, version: pkg.Version, src: src})
	}
	return out, nil
}

// knownURLs is how many Anthropic base URLs published pi-ai versions
// carry, counted in the packages themselves (grep -c of the baseUrl line):
// a version listed here must come out with exactly that many patched. The
// patcher itself counts whatever a catalog holds.
var knownURLs = map[string]int{
	"0.49.3": 21, // the version Clawdbot pins
	"0.73.1": 23, // the latest the npm clients install
}

// TestRealCatalogs patches and restores the published catalogs: every
// Anthropic base URL moves (however many there are, and for a version in
// knownURLs exactly that many), nothing else changes by a byte, Node.js
// still loads the module, and undo gives back the original exactly. Each
// is also patched as a file, a copy laid out as an install, through
// Discover, Patch and Undo.
func TestRealCatalogs(t *testing.T) {
	for _, rc := range realCatalogs(t) {
		t.Run(rc.name, func(t *testing.T) {
			c, err := parseCatalog(rc.src)
			if err != nil {
				t.Fatal(err)
			}
			urls, _ := c.counts(DefaultBaseURL)
			if urls == 0 || bytes.Count(rc.src, []byte(originalLine+"\n")) != urls {
				t.Fatalf("found %d Anthropic base URLs, file has %d lines %q", urls, bytes.Count(rc.src, []byte(originalLine+"\n")), originalLine)
			}
			if want, ok := knownURLs[rc.version]; ok && urls != want {
				t.Errorf("pi-ai %s: found %d Anthropic base URLs, the package has %d", rc.version, urls, want)
			}
			out, n, err := patchCatalog(rc.src, DefaultBaseURL)
			if err != nil || n != urls {
				t.Fatalf("patch: n=%d err=%v, want %d", n, err, urls)
			}
			if bytes.Contains(out, []byte("api.anthropic.com")) {
				t.Error("api.anthropic.com still in the patched file")
			}
			assertOnlyBaseURLLinesChanged(t, rc.src, out, urls, false)
			assertLoadsPatched(t, rc.src, out, DefaultBaseURL)
			back, n, err := undoCatalog(out)
			if err != nil || n != urls || !bytes.Equal(back, rc.src) {
				t.Fatalf("undo: n=%d err=%v identical=%v", n, err, bytes.Equal(back, rc.src))
			}
			patchInstalledCopy(t, rc, out, urls)
			t.Logf("%d Anthropic base URLs, %d providers, %d models", urls, c.providers, c.models)
		})
	}
}

// patchInstalledCopy lays rc out as a project's pi-ai install, patches it
// the way the keeper does and checks the file holds want (patchCatalog's
// output), then undoes it back to the original bytes.
func patchInstalledCopy(t *testing.T, rc realCatalog, want []byte, urls int) {
	t.Helper()
	root := t.TempDir()
	pkg := filepath.Join(root, "node_modules", "@mariozechner", "pi-ai")
	if err := os.MkdirAll(filepath.Join(pkg, "dist"), 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := fmt.Sprintf(`{"name": %q, "version": %q, "type": "module"}`, piAIName, rc.version)
	if err := os.WriteFile(filepath.Join(pkg, "package.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, catalogRel), rc.src, 0o644); err != nil {
		t.Fatal(err)
	}
	targets, err := Discover([]string{root}, false)
	if err != nil || len(targets) != 1 {
		t.Fatalf("discover the copy: %d targets, %v", len(targets), err)
	}
	res, err := Patch(targets[0], DefaultBaseURL)
	if err != nil || res.Status.URLs != urls || res.Status.Patched != urls {
		t.Fatalf("patch the copy: %d of %d patched, %v; want %d", res.Status.Patched, res.Status.URLs, err, urls)
	}
	got, err := os.ReadFile(targets[0].File)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("the patched copy differs from patchCatalog's output")
	}
	if _, err := Undo(targets[0]); err != nil {
		t.Fatalf("undo the copy: %v", err)
	}
	if got, _ := os.ReadFile(targets[0].File); !bytes.Equal(got, rc.src) {
		t.Error("the copy after undo differs from the original")
	}
}
