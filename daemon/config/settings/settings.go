// Package settings derives what each component runs with from the config:
// the key the guard pins, the base URL pi-ai is pointed at, the Clawdbot
// installs and agent directories to look at, and the model names with the
// backends behind them. The daemon, the doctor and the one-shot commands
// (`clawbridge guard`, `clawbridge patch`) all take them from here, so that
// a one-off run acts exactly as the daemon does.
//
// It sits beside daemon/config rather than in it because it imports the
// patcher and the guard, and daemon/config is imported by the translator,
// which must not depend on other components.
package settings

import (
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/patcher"
	"github.com/clawbridge/clawbridge/patcher/guard"
)

// GuardKey is the key the guard pins: guard.key, else the master key (so
// Clawdbot's requests pass the translator's check), else a local default.
// `clawbridge guard` uses it too, so that a one-off --fix pins what the
// daemon pins instead of fighting it.
func GuardKey(cfg *config.Config) string {
	switch {
	case cfg.Clawbridge.Guard.Key != "":
		return cfg.Clawbridge.Guard.Key
	case cfg.GeneralSettings.MasterKey != "":
		return cfg.GeneralSettings.MasterKey
	}
	return guard.DefaultKey
}

// PatchBase is where pi-ai is pointed: patcher.base_url, else the
// translator's address listen ("" means config.ListenAddr's choice).
// `clawbridge patch` uses it too, so that a one-off patch points where the
// daemon would keep it pointed.
func PatchBase(cfg *config.Config, listen string) string {
	if cfg.Clawbridge.Patcher.BaseURL != "" {
		return cfg.Clawbridge.Patcher.BaseURL
	}
	if listen == "" {
		listen = config.ListenAddr(cfg, "")
	}
	base, err := patcher.BaseURLForListen(listen)
	if err != nil {
		return patcher.DefaultBaseURL
	}
	return base
}

// ClawdbotDirs are the Clawdbot installs to patch: the configured ones
// (patcher.dirs, ~ meaning home), the gateway's, and the usual checkout
// places under home that exist. `clawbridge patch` searches the same ones.
func ClawdbotDirs(cfg *config.Config, home string) []string {
	var dirs []string
	add := func(p string) {
		p = patcher.ExpandHome(p, home)
		if p != "" && !slices.Contains(dirs, p) {
			dirs = append(dirs, p)
		}
	}
	for _, p := range cfg.Clawbridge.Patcher.Dirs {
		add(p)
	}
	add(cfg.Clawbridge.Gateway.Dir)
	for _, name := range []string{"clawdbot", "openclaw", "moltbot"} {
		for _, parent := range []string{"", "src", "code", "dev", "Projects", "projects", "git"} {
			p := filepath.Join(home, parent, name)
			if fi, err := os.Stat(filepath.Join(p, "node_modules")); err == nil && fi.IsDir() {
				add(p)
			}
		}
	}
	return dirs
}

// GuardDirs are the agent directories the guard watches: those of the
// configured Clawdbot state directories (guard.state_dirs, ~ meaning
// home); none means the guard discovers them. `clawbridge guard` uses it
// too, so that a one-off check looks where the daemon looks.
func GuardDirs(cfg *config.Config, home string) []string {
	var out []string
	for _, s := range cfg.Clawbridge.Guard.StateDirs {
		s = patcher.ExpandHome(s, home)
		out = append(out, filepath.Join(s, "agents", "main", "agent"))
		more, _ := filepath.Glob(filepath.Join(s, "agents", "*", "agent"))
		for _, m := range more {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

// Aliases lists the config's model names with their first deployment, as
// the state shows them and the doctor checks them.
func Aliases(cfg *config.Config) []status.AliasState {
	var out []status.AliasState
	for _, name := range cfg.ModelNames() {
		r, err := cfg.Route(name)
		if err != nil || len(r.Deployments) == 0 {
			continue
		}
		d := r.Deployments[0]
		out = append(out, status.AliasState{Name: name, Model: d.Model, Backend: d.APIBase, Ollama: d.Provider == "ollama"})
	}
	return out
}

// OllamaBases lists the distinct api_base of the config's Ollama entries,
// sorted: the servers the daemon polls and the doctor checks.
func OllamaBases(cfg *config.Config) []string {
	var bases []string
	for _, a := range Aliases(cfg) {
		if a.Ollama && !slices.Contains(bases, a.Backend) {
			bases = append(bases, a.Backend)
		}
	}
	sort.Strings(bases)
	return bases
}
