//go:build unix

package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/peers"
)

// The end-to-end tests drive real clients that .ci/provision-npm.sh and
// .ci/provision-clawdbot.sh install (`make provision` records them in
// $CLAWBRIDGE_CACHE/peers.env). Each one is found through its env var:
//
//	CLAWBRIDGE_NPM_DIR       cmd/clawbridge/testdata/npm with node_modules
//	                         (default: that directory, when node_modules exists)
//	CLAWBRIDGE_NODE_BIN      node for the npm clients (default: node on PATH)
//	CLAWBRIDGE_NODE22_BIN    Node >= 22 for Clawdbot
//	CLAWBRIDGE_CLAWDBOT_DIR  the wrapper project whose node_modules holds clawdbot
//
// A missing peer skips its test, unless CLAWBRIDGE_REQUIRE_PEERS is set (as
// `make test` does), when it fails: a CI run must not pass by skipping.

// e2eMissingPeer skips or fails the test for a peer that is not provisioned.
func e2eMissingPeer(t *testing.T, msg string) {
	t.Helper()
	peers.Missing(t, msg)
}

// e2eNPMDir returns the directory holding the client scripts and their
// node_modules, which must have been installed from the current
// package-lock.json (.ci/provision-npm.sh leaves the lock's sha256 in
// node_modules/.clawbridge-lock-sha256).
func e2eNPMDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CLAWBRIDGE_NPM_DIR")
	if dir == "" {
		abs, err := filepath.Abs(filepath.Join("testdata", "npm"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(abs, "node_modules")); err != nil {
			e2eMissingPeer(t, "the npm clients are not installed (CLAWBRIDGE_NPM_DIR is unset and "+abs+"/node_modules is missing; .ci/provision-npm.sh installs them)")
		}
		dir = abs
	}
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatalf("CLAWBRIDGE_NPM_DIR: %v", err)
	}
	stamp, err := os.ReadFile(filepath.Join(dir, "node_modules", ".clawbridge-lock-sha256"))
	if want := fmt.Sprintf("%x", sha256.Sum256(lock)); err != nil || strings.TrimSpace(string(stamp)) != want {
		t.Fatalf("the npm clients in %s/node_modules were not installed from its package-lock.json (missing, interrupted or stale); run .ci/provision-npm.sh", dir)
	}
	return dir
}

// e2eNode returns the node that runs the npm clients.
func e2eNode(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CLAWBRIDGE_NODE_BIN"); p != "" {
		return p
	}
	p, err := exec.LookPath("node")
	if err != nil {
		e2eMissingPeer(t, "node is not on PATH and CLAWBRIDGE_NODE_BIN is unset")
	}
	return p
}

// e2eNode22 returns the Node 22 that Clawdbot needs.
func e2eNode22(t *testing.T) string {
	t.Helper()
	p := os.Getenv("CLAWBRIDGE_NODE22_BIN")
	if p == "" {
		e2eMissingPeer(t, "CLAWBRIDGE_NODE22_BIN is unset (.ci/provision-clawdbot.sh provides Node 22)")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("CLAWBRIDGE_NODE22_BIN: %v", err)
	}
	return p
}

// e2eClawdbotEntry returns Clawdbot's CLI entry point, dist/entry.js.
func e2eClawdbotEntry(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CLAWBRIDGE_CLAWDBOT_DIR")
	if dir == "" {
		e2eMissingPeer(t, "CLAWBRIDGE_CLAWDBOT_DIR is unset (.ci/provision-clawdbot.sh installs Clawdbot)")
	}
	entry := filepath.Join(dir, "node_modules", "clawdbot", "dist", "entry.js")
	if _, err := os.Stat(entry); err != nil {
		t.Fatalf("CLAWBRIDGE_CLAWDBOT_DIR=%s: no Clawdbot: %v", dir, err)
	}
	return entry
}
