// Package apptest reads where `make provision` installed the real apps,
// Clawdbot and the OpenClaw releases, from the variables peers.env sets,
// for the suites in several packages that run or read them.
package apptest

import (
	"os"
	"strings"
)

// OpenClaw is one provisioned OpenClaw release: the wrapper project whose
// node_modules holds it, and the Node it runs on.
type OpenClaw struct {
	Version, Dir, Node string
	// Key is the variables' stem: CLAWBRIDGE_OPENCLAW_2026_9_6.
	Key string
}

// OpenClawReleases lists the releases CLAWBRIDGE_OPENCLAW_RELEASES names
// that have both their _DIR and _NODE set, and says what is missing; each
// suite decides whether that skips or fails it.
func OpenClawReleases() (rels []OpenClaw, missing []string) {
	versions := strings.Fields(os.Getenv("CLAWBRIDGE_OPENCLAW_RELEASES"))
	if len(versions) == 0 {
		missing = append(missing, "no OpenClaw releases: CLAWBRIDGE_OPENCLAW_RELEASES is unset (.ci/provision-openclaw.sh installs them)")
	}
	for _, v := range versions {
		key := "CLAWBRIDGE_OPENCLAW_" + strings.NewReplacer(".", "_", "-", "_").Replace(v)
		r := OpenClaw{Version: v, Dir: os.Getenv(key + "_DIR"), Node: os.Getenv(key + "_NODE"), Key: key}
		if r.Dir == "" || r.Node == "" {
			missing = append(missing, "CLAWBRIDGE_OPENCLAW_RELEASES names "+v+" but "+key+"_DIR or "+key+"_NODE is unset (run .ci/provision-openclaw.sh)")
			continue
		}
		rels = append(rels, r)
	}
	return rels, missing
}

// InstallDirs lists the wrapper projects of Clawdbot and of every OpenClaw
// release, and says what is missing.
func InstallDirs() (dirs, missing []string) {
	if dir := os.Getenv("CLAWBRIDGE_CLAWDBOT_DIR"); dir != "" {
		dirs = append(dirs, dir)
	} else {
		missing = append(missing, "no Clawdbot: CLAWBRIDGE_CLAWDBOT_DIR is unset (.ci/provision-clawdbot.sh installs it)")
	}
	rels, more := OpenClawReleases()
	for _, r := range rels {
		dirs = append(dirs, r.Dir)
	}
	return dirs, append(missing, more...)
}
