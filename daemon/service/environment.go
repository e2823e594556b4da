package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"howett.net/plist"
)

// AgentTools are the programs the agent runs or asks for, in the order
// their directories go on its PATH: node for the gateway and `npm root
// -g`, pnpm for pnpm's global installs, ollama for a local Ollama.
var AgentTools = []string{"node", "pnpm", "ollama"}

// LoginShellTimeout bounds the login shell that resolves AgentTools: a
// profile that waits for input or a slow version manager must not hang
// `clawbridge install` or the menu.
const LoginShellTimeout = 15 * time.Second

// defaultLang is the agent's LANG when the installing process has none
// that names a UTF-8 locale: pbcopy and node read LANG for their
// encoding, and launchd sets none.
const defaultLang = "en_US.UTF-8"

// LoginShellTools asks the user's login shell ($SHELL, else /bin/zsh, the
// macOS default) where it finds each of AgentTools, the way a Terminal
// window would: interactive and login, so that nvm, fnm, volta, asdf and
// mise, which are set up in ~/.zshrc or ~/.bashrc, are found too. A tool
// the shell does not find is missing from the map.
func LoginShellTools(ctx context.Context) (map[string]string, error) {
	shell := os.Getenv("SHELL")
	if !filepath.IsAbs(shell) {
		shell = "/bin/zsh"
	}
	return loginShellTools(ctx, shell, LoginShellTimeout)
}

// toolMarker starts each tool's answer in the shell's output, so that what
// profiles print is told apart from `command -v`'s answer.
const toolMarker = "__clawbridge_tool__ "

// loginShellTools is LoginShellTools for a given shell and time limit.
func loginShellTools(ctx context.Context, shell string, timeout time.Duration) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var script []string
	for _, t := range AgentTools {
		// echo and command -v read the same in sh, bash, zsh and fish.
		script = append(script, "echo "+toolMarker+t, "command -v "+t)
	}
	cmd := exec.CommandContext(ctx, shell, "-i", "-l", "-c", strings.Join(script, "; "))
	var out bytes.Buffer
	cmd.Stdout = &out
	// A profile that starts a background job keeps stdout open; give up
	// on it shortly after the shell is killed.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("login shell %s -i -l did not answer within %s: %w", shell, timeout, ctx.Err())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		// The last `command -v` fails when its tool is missing: that is
		// an answer, not an error.
		return nil, fmt.Errorf("login shell %s: %w", shell, err)
	}
	return parseToolAnswers(out.String()), nil
}

// parseToolAnswers reads the marker lines and, after each, the absolute
// path `command -v` printed (zsh prints "node: aliased to …" or a bare
// name for aliases and functions, which a launchd job cannot run).
func parseToolAnswers(out string) map[string]string {
	found := map[string]string{}
	tool := ""
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if name, ok := strings.CutPrefix(line, toolMarker); ok {
			tool = name
			continue
		}
		if tool != "" && filepath.IsAbs(line) && filepath.Base(line) == tool {
			found[tool] = line
		}
	}
	return found
}

// agentPathFor is the agent's PATH: the directory of each tool the login
// shell found, then launchd's own default with Homebrew's directories. A
// directory fnm makes for one shell session (fnm_multishells, deleted
// with it) is replaced by the installation it links to.
func agentPathFor(tools map[string]string) string {
	var dirs []string
	seen := map[string]bool{}
	add := func(d string) {
		if d != "" && !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	for _, t := range AgentTools {
		path, ok := tools[t]
		if !ok {
			continue
		}
		dir := filepath.Dir(path)
		if strings.Contains(dir, "fnm_multishells") {
			if resolved, err := filepath.EvalSymlinks(dir); err == nil {
				dir = resolved
			}
		}
		add(dir)
	}
	for _, d := range strings.Split(launchdPath, ":") {
		add(d)
	}
	return strings.Join(dirs, ":")
}

// utf8Locale is a locale name LANG can carry, with a UTF-8 charset.
var utf8Locale = regexp.MustCompile(`^[a-z]{2,3}_[A-Z]{2}\.(?i:utf-?8)$`)

// agentLangFor is the agent's LANG: the first of LC_ALL, LC_CTYPE and
// LANG that names a UTF-8 locale (macOS Terminal sets LC_CTYPE to a bare
// "UTF-8", which is not one), else en_US.UTF-8.
func agentLangFor(getenv func(string) string) string {
	for _, v := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if l := getenv(v); utf8Locale.MatchString(l) {
			return l
		}
	}
	return defaultLang
}

// resolveAgentEnvironment fills the agent's PATH and LANG at install:
// from the login shell when it answers, from launchd's defaults with
// Homebrew's directories when it does not.
func resolveAgentEnvironment(ctx context.Context, a *agent) error {
	a.lang = agentLangFor(os.Getenv)
	tools, err := LoginShellTools(ctx)
	a.path = agentPathFor(tools)
	if err != nil {
		return fmt.Errorf("find node, pnpm and ollama: %w", err)
	}
	return nil
}

// AgentEnv is the environment an installed LaunchAgent runs with.
type AgentEnv struct {
	File       string // the LaunchAgent plist
	Homebrew   bool   // File is the one `brew services` installed
	PATH, LANG string // its EnvironmentVariables
}

// InstalledEnvironment reads the environment of the LaunchAgent that
// starts clawbridge: clawbridge's own, else Homebrew's. ok is false when
// there is none (on Linux the systemd user manager's environment applies
// instead).
func InstalledEnvironment(o Options) (env AgentEnv, ok bool, err error) {
	p, err := currentPlatform(o)
	if err != nil || p.manager != "launchd" {
		return AgentEnv{}, false, err
	}
	if !exists(p.file) && p.homebrewInstalled() {
		env, ok, err = readAgentEnvironment(p.homebrew.plist)
		env.Homebrew = true
		return env, ok, err
	}
	return readAgentEnvironment(p.file)
}

// readAgentEnvironment reads EnvironmentVariables from a LaunchAgent.
func readAgentEnvironment(file string) (env AgentEnv, ok bool, err error) {
	env.File = file
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return env, false, nil
	}
	if err != nil {
		return env, false, fmt.Errorf("read %s: %w", file, err)
	}
	var job struct {
		Env map[string]string `plist:"EnvironmentVariables"`
	}
	if _, err := plist.Unmarshal(b, &job); err != nil {
		return env, false, fmt.Errorf("read %s: %w", file, err)
	}
	env.PATH, env.LANG = job.Env["PATH"], job.Env["LANG"]
	return env, true, nil
}
