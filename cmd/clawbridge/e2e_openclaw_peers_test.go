//go:build unix

package main

import (
	"github.com/clawbridge/clawbridge/patcher/apptest"

	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The OpenClaw acceptance test (e2e_openclaw_test.go) drives every release
// .ci/provision-openclaw.sh installs, plus the Clawdbot of
// .ci/provision-clawdbot.sh. They are found through these env vars, which
// `make provision` records in peers.env:
//
//	CLAWBRIDGE_OPENCLAW_RELEASES     "2026.5.7 2026.5.27 ..." (space-separated)
//	CLAWBRIDGE_OPENCLAW_<V>_DIR      the wrapper project of release V (dots
//	                                 and dashes as underscores)
//	CLAWBRIDGE_OPENCLAW_<V>_NODE     the Node that release runs on
//	CLAWBRIDGE_PNPM                  pnpm 10, which installs them
//	CLAWBRIDGE_CLAWDBOT_DIR, CLAWBRIDGE_NODE22_BIN   Clawdbot and its Node

// e2eApp is one provisioned Clawdbot or OpenClaw release.
type e2eApp struct {
	name    string // "openclaw" or "clawdbot"
	version string
	wrapper string // the provisioned wrapper project (package.json, .npmrc, pnpm-lock.yaml)
	node    string // the Node it runs on
}

// label names the app in test names and failure messages.
func (a e2eApp) label() string { return a.name + " " + a.version }

// entry is the app's CLI entry point, relative to a wrapper project.
func (a e2eApp) entry() string {
	if a.name == "clawdbot" {
		return filepath.Join("node_modules", "clawdbot", "dist", "entry.js")
	}
	return filepath.Join("node_modules", "openclaw", "openclaw.mjs")
}

// stateDir and configFile are where the app keeps its config, under HOME.
func (a e2eApp) stateDir() string {
	if a.name == "clawdbot" {
		return ".clawdbot"
	}
	return ".openclaw"
}

func (a e2eApp) configFile() string { return a.name + ".json" }

// e2eApps returns Clawdbot and every OpenClaw release in
// CLAWBRIDGE_OPENCLAW_RELEASES, each checked to be installed.
func e2eApps(t *testing.T) []e2eApp {
	t.Helper()
	cbEntry := e2eClawdbotEntry(t)
	apps := []e2eApp{{name: "clawdbot", version: e2eInstalledVersion(t, filepath.Dir(filepath.Dir(cbEntry))),
		wrapper: os.Getenv("CLAWBRIDGE_CLAWDBOT_DIR"), node: e2eNode22(t)}}
	releases, missing := apptest.OpenClawReleases()
	if len(releases) == 0 {
		e2eMissingPeer(t, strings.Join(missing, "; "))
	}
	if len(missing) > 0 {
		t.Fatal(strings.Join(missing, "; "))
	}
	for _, rel := range releases {
		v, key := rel.Version, rel.Key
		app := e2eApp{name: "openclaw", version: v, wrapper: rel.Dir, node: rel.Node}
		if _, err := os.Stat(app.node); err != nil {
			t.Fatalf("%s_NODE: %v", key, err)
		}
		pkg := filepath.Join(app.wrapper, "node_modules", "openclaw")
		if got := e2eInstalledVersion(t, pkg); got != v {
			t.Fatalf("%s_DIR=%s holds openclaw %q, want %s; run .ci/provision-openclaw.sh", key, app.wrapper, got, v)
		}
		apps = append(apps, app)
	}
	return apps
}

// e2eInstalledVersion reads the version of the package in dir.
func e2eInstalledVersion(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		t.Fatalf("installed package: %v", err)
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatalf("%s/package.json: %v", dir, err)
	}
	return pkg.Version
}

// e2ePNPM returns the pnpm 10 launcher the provisioning wrote.
func e2ePNPM(t *testing.T) string {
	t.Helper()
	p := os.Getenv("CLAWBRIDGE_PNPM")
	if p == "" {
		e2eMissingPeer(t, "CLAWBRIDGE_PNPM is unset (.ci/provision-clawdbot.sh provides pnpm 10)")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("CLAWBRIDGE_PNPM: %v", err)
	}
	return p
}

// e2eClaudeModel picks the Claude model the app's config names: the first
// Sonnet of the Anthropic catalog in the install's plugin manifest (OpenClaw
// 2026.5.12 and later ship one), else the Sonnet that Clawdbot's and the
// pi-ai releases' catalogs share (docs/openclaw-releases.md lists them).
func e2eClaudeModel(t *testing.T, a e2eApp, install string) string {
	t.Helper()
	if a.name == "clawdbot" {
		return "claude-sonnet-4-5"
	}
	manifest := filepath.Join(install, "node_modules", "openclaw", "dist", "extensions", "anthropic", "openclaw.plugin.json")
	data, err := os.ReadFile(manifest)
	if os.IsNotExist(err) {
		return "claude-sonnet-4-6"
	}
	if err != nil {
		t.Fatalf("%s: %v", a.label(), err)
	}
	var m struct {
		ModelCatalog struct {
			Providers map[string]struct {
				Models []struct {
					ID string `json:"id"`
				} `json:"models"`
			} `json:"providers"`
		} `json:"modelCatalog"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %s: %v", a.label(), manifest, err)
	}
	for _, model := range m.ModelCatalog.Providers["anthropic"].Models {
		if strings.HasPrefix(model.ID, "claude-sonnet-") {
			return model.ID
		}
	}
	return "claude-sonnet-4-6"
}
