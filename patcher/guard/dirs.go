package guard

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Discover lists the Clawdbot agent directories to guard for a user whose
// home directory is home, reading the environment through getenv (pass
// os.Getenv; tests pass their own).
//
// It follows how Clawdbot 2026.1.24 resolves them. The agent directory is
// $CLAWDBOT_AGENT_DIR, else $PI_CODING_AGENT_DIR, else
// <state>/agents/main/agent; the state directory is $CLAWDBOT_STATE_DIR,
// else ~/.clawdbot-<profile> for $CLAWDBOT_PROFILE, else ~/.clawdbot.
// Because `clawdbot --profile NAME` and the OpenClaw/Moltbot renames use
// other state directories without leaving a trace in the daemon's
// environment, Discover also takes every existing ~/.clawdbot-*,
// ~/.openclaw and ~/.moltbot directory and $OPENCLAW_STATE_DIR, and in each
// state directory every existing agents/*/agent.
//
// The main agent directory of a configured state directory and of
// ~/.clawdbot is listed even when it does not exist yet, so that a watcher
// sees Clawdbot create it. Other candidates are listed only when they exist.
func Discover(home string, getenv func(string) string) []string {
	env := func(name string) string {
		v := strings.TrimSpace(getenv(name))
		if v == "~" || strings.HasPrefix(v, "~/") {
			v = filepath.Join(home, v[1:])
		}
		return v
	}
	var out []string
	seen := map[string]bool{}
	add := func(dir string, mustExist bool) {
		if dir == "" {
			return
		}
		dir = filepath.Clean(dir)
		if !filepath.IsAbs(dir) {
			if abs, err := filepath.Abs(dir); err == nil {
				dir = abs
			}
		}
		if seen[dir] {
			return
		}
		if fi, err := os.Stat(dir); mustExist && (err != nil || !fi.IsDir()) {
			return
		}
		seen[dir] = true
		out = append(out, dir)
	}

	if d := env("CLAWDBOT_AGENT_DIR"); d != "" {
		add(d, false)
	} else if d := env("PI_CODING_AGENT_DIR"); d != "" {
		add(d, false)
	}

	var configured []string
	if d := env("CLAWDBOT_STATE_DIR"); d != "" {
		configured = append(configured, d)
	} else if p := strings.TrimSpace(getenv("CLAWDBOT_PROFILE")); p != "" && !strings.EqualFold(p, "default") {
		configured = append(configured, filepath.Join(home, ".clawdbot-"+p))
	}
	if d := env("OPENCLAW_STATE_DIR"); d != "" {
		configured = append(configured, d)
	}
	configured = append(configured, filepath.Join(home, ".clawdbot"))

	found, _ := filepath.Glob(filepath.Join(home, ".clawdbot-*"))
	sort.Strings(found)
	found = append(found, filepath.Join(home, ".openclaw"), filepath.Join(home, ".moltbot"))

	for _, state := range configured {
		add(filepath.Join(state, "agents", "main", "agent"), false)
		addAgents(state, add)
	}
	for _, state := range found {
		addAgents(state, add)
	}
	return out
}

// addAgents adds every existing <state>/agents/*/agent directory.
func addAgents(state string, add func(string, bool)) {
	agents, _ := filepath.Glob(filepath.Join(state, "agents", "*", "agent"))
	sort.Strings(agents)
	for _, a := range agents {
		add(a, true)
	}
}
