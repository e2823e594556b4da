package guard

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Discover lists the agent directories of Clawdbot and OpenClaw to guard
// for a user whose home directory is home, reading the environment through
// getenv (pass os.Getenv; tests pass their own).
//
// It follows how the apps resolve them. Clawdbot 2026.1.24: the agent
// directory is $CLAWDBOT_AGENT_DIR, else $PI_CODING_AGENT_DIR, else
// <state>/agents/main/agent; the state directory is $CLAWDBOT_STATE_DIR,
// else ~/.clawdbot-<profile> for $CLAWDBOT_PROFILE, else ~/.clawdbot.
// OpenClaw: the agent directory is $OPENCLAW_AGENT_DIR, else
// $PI_CODING_AGENT_DIR, else <state>/agents/main/agent; the state
// directory is $OPENCLAW_STATE_DIR, else ~/.openclaw-<profile> for
// $OPENCLAW_PROFILE, else ~/.openclaw (falling back to an existing
// ~/.clawdbot while ~/.openclaw does not exist), with ~ being
// $OPENCLAW_HOME when set. Because `--profile NAME` and the Moltbot
// rename use other state directories without leaving a trace in the
// daemon's environment, Discover also takes every existing ~/.clawdbot-*,
// ~/.openclaw-* and ~/.moltbot directory, and in each state directory
// every existing agents/*/agent.
//
// The agent directories named by the environment and the main agent
// directory of every configured state directory, ~/.clawdbot and
// ~/.openclaw included, are listed even when they do not exist yet, so
// that a watcher sees the app create them and a fresh user is covered
// (see Options.Create). Other candidates are listed only when they exist.
func Discover(home string, getenv func(string) string) []string {
	env := func(name string) string {
		v := strings.TrimSpace(getenv(name))
		if v == "~" || strings.HasPrefix(v, "~/") {
			v = filepath.Join(home, v[1:])
		}
		return v
	}
	openclawHome := home
	if h := env("OPENCLAW_HOME"); h != "" {
		openclawHome = h
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
	add(env("OPENCLAW_AGENT_DIR"), false)

	var configured []string
	if d := env("CLAWDBOT_STATE_DIR"); d != "" {
		configured = append(configured, d)
	} else if p := profile(getenv("CLAWDBOT_PROFILE")); p != "" {
		configured = append(configured, filepath.Join(home, ".clawdbot-"+p))
	}
	if d := env("OPENCLAW_STATE_DIR"); d != "" {
		configured = append(configured, d)
	} else if p := profile(getenv("OPENCLAW_PROFILE")); p != "" {
		configured = append(configured, filepath.Join(openclawHome, ".openclaw-"+p))
	}
	configured = append(configured, filepath.Join(home, ".clawdbot"))

	found, _ := filepath.Glob(filepath.Join(home, ".clawdbot-*"))
	sort.Strings(found)
	profiles, _ := filepath.Glob(filepath.Join(openclawHome, ".openclaw-*"))
	sort.Strings(profiles)

	for _, state := range configured {
		add(filepath.Join(state, "agents", "main", "agent"), false)
		addAgents(state, add)
	}
	for _, state := range found {
		addAgents(state, add)
	}
	// OpenClaw's default state directory: its main agent even before
	// OpenClaw (or the guard) creates it.
	openclaw := filepath.Join(openclawHome, ".openclaw")
	add(filepath.Join(openclaw, "agents", "main", "agent"), false)
	for _, state := range append(append([]string{openclaw}, profiles...), filepath.Join(home, ".moltbot")) {
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

// profile is the name of a non-default profile from $CLAWDBOT_PROFILE or
// $OPENCLAW_PROFILE ("" for none or "default", which use the plain state
// directory).
func profile(v string) string {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "default") {
		return ""
	}
	return v
}
