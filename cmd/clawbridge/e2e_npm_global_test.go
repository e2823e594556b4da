//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// TestNpmGlobalInstallWhileRunning: a user who already runs clawbridge
// installs OpenClaw the way its README says, `npm i -g openclaw` (here into
// ~/.npm-global, npm's documented user prefix, which does not exist yet
// when clawbridge starts). With nothing else done, the daemon must find
// the new install, route it, and the first agent turn must be answered by
// the real Ollama through clawbridge.
//
// The install is real npm from the cache `make provision` filled
// (--offline, install scripts off as provisioning does; see
// .ci/provision-openclaw.sh).
func TestNpmGlobalInstallWhileRunning(t *testing.T) {
	npm, err := exec.LookPath("npm")
	cache, version := os.Getenv("CLAWBRIDGE_NPM_CACHE"), os.Getenv("CLAWBRIDGE_NPM_GLOBAL_OPENCLAW")
	if err != nil || cache == "" || version == "" {
		e2eMissingPeer(t, "npm, CLAWBRIDGE_NPM_CACHE and CLAWBRIDGE_NPM_GLOBAL_OPENCLAW are needed for a global npm install")
	}
	var app e2eApp
	for _, a := range e2eApps(t) {
		if a.name == "openclaw" && a.version == version {
			app = a
		}
	}
	if app.node == "" {
		t.Fatalf("openclaw %s is not among the provisioned releases", version)
	}
	bin := e2eBuild(t)
	ol := ollamatest.Start(t)
	home := t.TempDir()
	prefix := filepath.Join(home, ".npm-global")

	e2eNewAppUser(t, app, home, "claude-sonnet-4-5")
	d := startE2EDaemon(t, bin, home, fmt.Sprintf(`model_list:
  - model_name: claude-*
    litellm_params: {model: ollama/%s, api_base: %s}
clawbridge:
  listen: %%LISTEN%%
  patcher: {global: true}
  notifications: {enabled: false}
  gateway: {enabled: false}
`, ollamatest.ModelTiny, ol.URL))
	defer d.stop(t)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // hang guard
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--global", "openclaw@"+version, "--prefix", prefix,
		"--cache", cache, "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=warn")
	cmd.Dir = home
	cmd.Env = append(e2eCleanEnv(), "HOME="+home, "PATH="+filepath.Dir(app.node)+string(os.PathListSeparator)+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm i -g openclaw@%s: %v\n%s", version, err, out)
	}

	e2eWaitRouted(t, d)
	before := e2eRequests(d)
	reply, out := e2eAppTurn(t, app, home, filepath.Join(prefix, "lib"))
	if after := e2eRequests(d); reply != ollamatest.ReplyDefault || after <= before {
		t.Fatalf("the turn after `npm i -g openclaw@%s` was not answered by Ollama through clawbridge: reply %q (want %q), requests %d -> %d\n%s\nclawbridge status --json:\n%s",
			version, reply, ollamatest.ReplyDefault, before, after, out, e2eStatusJSON(d))
	}
}
