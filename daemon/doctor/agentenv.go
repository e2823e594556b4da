package doctor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// AgentEnvironment is what the login agent runs with next to what the
// user's login shell finds: launchd starts the agent with the PATH and
// LANG written in its plist, not the shell's, so node from a version
// manager can be found in Terminal and missing for the agent.
type AgentEnvironment struct {
	File       string // the LaunchAgent the environment was read from
	Homebrew   bool   // File is the one `brew services` installed
	PATH, LANG string // the agent's
	// Tools are the programs the agent needs, in the order to report.
	Tools []string
	// Shell maps each tool to where the login shell finds it; a tool it
	// does not find is absent. ShellErr says why the shell did not answer.
	Shell    map[string]string
	ShellErr error
}

// checkAgentEnvironment fails when the agent's PATH misses a tool the
// login shell finds, or its LANG names no UTF-8 locale.
func checkAgentEnvironment(ctx context.Context, env func(context.Context) (AgentEnvironment, bool, error)) (Check, bool) {
	e, ok, err := env(ctx)
	switch {
	case err != nil:
		return Check{Name: "agent environment", Detail: err.Error(), Fix: "clawbridge uninstall, then clawbridge install, to write the LaunchAgent again"}, true
	case !ok:
		return Check{}, false
	}
	return agentEnvironmentCheck(e), true
}

// agentEnvironmentCheck compares the agent's PATH with the login shell.
func agentEnvironmentCheck(e AgentEnvironment) Check {
	var found, missing, absent []string
	for _, tool := range e.Tools {
		agent := lookPathIn(e.PATH, tool)
		shell := e.Shell[tool]
		switch {
		case agent != "" && shell != "" && agent != shell:
			found = append(found, fmt.Sprintf("%s %s (your shell's: %s)", tool, agent, shell))
		case agent != "":
			found = append(found, tool+" "+agent)
		case shell != "":
			missing = append(missing, fmt.Sprintf("%s (your shell finds %s)", tool, shell))
		default:
			absent = append(absent, tool)
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "the agent cannot find "+strings.Join(missing, ", "))
	}
	if len(found) > 0 {
		parts = append(parts, "finds "+strings.Join(found, ", "))
	}
	if len(absent) > 0 {
		parts = append(parts, "neither it nor your login shell finds "+strings.Join(absent, ", "))
	}
	if e.ShellErr != nil {
		parts = append(parts, "your login shell did not answer: "+e.ShellErr.Error())
	}
	badLang := !strings.Contains(strings.ToLower(e.LANG), "utf-8") && !strings.Contains(strings.ToLower(e.LANG), "utf8")
	if badLang {
		parts = append(parts, fmt.Sprintf("LANG %q names no UTF-8 locale, so copied text with non-ASCII characters is mangled", e.LANG))
	}
	c := Check{Name: "agent environment", OK: len(missing) == 0 && !badLang, Detail: e.File + ": " + strings.Join(parts, "; ")}
	if !c.OK {
		c.Fix = "clawbridge uninstall, then clawbridge install from Terminal: install records the directories your login shell finds node, pnpm and ollama in, and your LANG"
		if e.Homebrew {
			c.Fix = "the Homebrew agent runs with Homebrew's PATH only: brew services stop clawbridge, then clawbridge install, which records your login shell's PATH"
		}
	}
	return c
}

// lookPathIn finds name in the directories of path list, as the agent's
// exec would: the first regular executable file.
func lookPathIn(list, name string) string {
	for _, dir := range filepath.SplitList(list) {
		if !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0 {
			return p
		}
	}
	return ""
}
