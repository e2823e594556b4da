package service

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/clawbridge/clawbridge/packaging"
)

// agent is what the installed files say, every path absolute: the values
// the templates in packaging/ are filled with.
type agent struct {
	label   string   // launchd Label, or the systemd unit's name without .service
	command []string // the executable, then its arguments
	config  string   // the --config argument, "" for the default config
	logFile string   // where the agent's stdout and stderr go
	// path and lang are the LaunchAgent's PATH and LANG, resolved at
	// install (environment.go); "" means launchdPath and defaultLang.
	path, lang string
}

// launchdPath is the end of the PATH the LaunchAgent runs with, after the
// directories the user's login shell finds node, pnpm and ollama in.
// launchd's own is /usr/bin:/bin:/usr/sbin:/sbin, which hides Homebrew's
// node, pnpm and terminal-notifier (Apple Silicon and Intel prefixes).
const launchdPath = "/opt/homebrew/bin:/opt/homebrew/sbin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

// launchAgentPlist renders the macOS LaunchAgent.
func launchAgentPlist(a agent) (string, error) {
	if err := a.check(); err != nil {
		return "", err
	}
	args := make([]string, len(a.command))
	for i, s := range a.command {
		args[i] = "\t\t<string>" + xmlEscape(s) + "</string>"
	}
	return fill("LaunchAgent plist", packaging.LaunchAgent, map[string]string{
		"LABEL":             xmlEscape(a.label),
		"PROGRAM_ARGUMENTS": strings.Join(args, "\n"),
		"LOG_FILE":          xmlEscape(a.logFile),
		"PATH":              xmlEscape(cmp.Or(a.path, launchdPath)),
		"LANG":              xmlEscape(cmp.Or(a.lang, defaultLang)),
	})
}

// systemdUnit renders the Linux systemd user unit.
func systemdUnit(a agent) (string, error) {
	if err := a.check(); err != nil {
		return "", err
	}
	for _, s := range append([]string{a.logFile}, a.command...) {
		// A backslash starts an escape in some unit settings and continues
		// the line at the end of one; no sane path has one.
		if strings.ContainsRune(s, '\\') {
			return "", fmt.Errorf("%q contains a backslash, which a systemd unit cannot carry reliably", s)
		}
	}
	words := make([]string, len(a.command))
	for i, s := range a.command {
		words[i] = systemdQuote(s)
	}
	return fill("systemd unit", packaging.SystemdUnit, map[string]string{
		"EXEC_START": strings.Join(words, " "),
		"LOG_FILE":   systemdSpecifiers.Replace(a.logFile),
	})
}

// autostartEntry renders the Linux desktop autostart entry, which runs
// `EXECUTABLE restart` once the desktop is up.
func autostartEntry(a agent) (string, error) {
	if err := a.check(); err != nil {
		return "", err
	}
	return fill("autostart entry", packaging.Autostart, map[string]string{
		"EXEC": desktopQuote(a.command[0]) + " restart",
	})
}

// check refuses values no template can carry: control characters (a
// newline would end the value early) and "{{", which kardianos/service
// would read as a template action in the file we hand it.
func (a agent) check() error {
	if len(a.command) == 0 {
		return fmt.Errorf("no command to run")
	}
	for _, s := range append([]string{a.label, a.logFile, a.path, a.lang}, a.command...) {
		if strings.IndexFunc(s, unicode.IsControl) >= 0 {
			return fmt.Errorf("%q contains a control character", s)
		}
		if strings.Contains(s, "{{") {
			return fmt.Errorf("%q contains \"{{\", which the service installer reads as a template action", s)
		}
	}
	return nil
}

var placeholder = regexp.MustCompile(`@[A-Z_]+@`)

// fill replaces each @KEY@ in tmpl with values[KEY], already escaped by
// the caller for the file's syntax. A placeholder without a value, or a
// value that no placeholder takes, means the template and this code
// disagree; that is reported instead of writing a half-filled file.
func fill(what, tmpl string, values map[string]string) (string, error) {
	used := make(map[string]bool, len(values))
	var missing []string
	out := placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		key := m[1 : len(m)-1]
		v, ok := values[key]
		if !ok {
			missing = append(missing, m)
			return m
		}
		used[key] = true
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%s template: no value for %s", what, strings.Join(missing, ", "))
	}
	for key := range values {
		if !used[key] {
			return "", fmt.Errorf("%s template: no @%s@ placeholder", what, key)
		}
	}
	return out, nil
}

var xmlEscaper = strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&quot;", `'`, "&apos;")

func xmlEscape(s string) string { return xmlEscaper.Replace(s) }

// systemdSpecifiers keeps systemd from expanding %-specifiers in a path.
var systemdSpecifiers = strings.NewReplacer("%", "%%")

// systemdQuote quotes one ExecStart word: double quotes keep spaces, and
// % and $ are doubled so systemd expands neither specifiers nor variables.
func systemdQuote(s string) string {
	return `"` + strings.NewReplacer(`"`, `\"`, "%", "%%", "$", "$$").Replace(s) + `"`
}

// desktopQuote quotes one word of a desktop entry's Exec key: the quoting
// rule escapes " ` $ \ inside double quotes, the string rule then escapes
// each backslash again, and % is doubled so it is not read as a field code
// (Desktop Entry Specification, "The Exec key").
func desktopQuote(s string) string {
	quoted := `"` + strings.NewReplacer(`"`, `\"`, "`", "\\`", "$", `\$`, `\`, `\\`).Replace(s) + `"`
	return strings.NewReplacer(`\`, `\\`, "%", "%%").Replace(quoted)
}
