package notify

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// evalAppleScriptString reads back what appleScriptString wrote, with the
// grammar of AppleScript string expressions it uses and nothing more:
// "…" literals (with \" and \\) and (character id N), joined by " & ".
// Anything else, such as a literal closed early so that code follows, is
// an error.
func evalAppleScriptString(expr string) (string, error) {
	var out strings.Builder
	for i := 0; ; {
		switch {
		case strings.HasPrefix(expr[i:], `"`):
			i++
			for {
				if i >= len(expr) {
					return "", errors.New("unterminated literal")
				}
				c := expr[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' {
					if i+1 >= len(expr) || (expr[i+1] != '"' && expr[i+1] != '\\') {
						return "", fmt.Errorf("escape %q means something else in AppleScript", expr[i:min(i+2, len(expr))])
					}
					i++
					c = expr[i]
				} else if c < 0x20 || c == 0x7f {
					return "", fmt.Errorf("raw control character %#x in a literal", c)
				}
				out.WriteByte(c)
				i++
			}
		case strings.HasPrefix(expr[i:], "(character id "):
			i += len("(character id ")
			end := strings.IndexByte(expr[i:], ')')
			if end < 0 {
				return "", errors.New("unterminated character id")
			}
			n, err := strconv.Atoi(expr[i : i+end])
			if err != nil {
				return "", err
			}
			out.WriteRune(rune(n))
			i += end + 1
		default:
			return "", fmt.Errorf("unexpected %q", expr[i:])
		}
		if i == len(expr) {
			return out.String(), nil
		}
		if !strings.HasPrefix(expr[i:], " & ") {
			return "", fmt.Errorf("code after a string: %q", expr[i:])
		}
		i += 3
	}
}

func TestAppleScriptString(t *testing.T) {
	for _, s := range []string{
		"",
		"plain",
		`say "hi" \ bye`,
		"line one\nline two\r\n\ttabbed",
		"bell\x07 esc\x1b[31m del\x7f",
		`" & (do shell script "touch /tmp/pwned") & "`,
		"\\\"\\\"",
		"unicode: Zürich → ✓ \u2028 sep",
		"\x01\x02\x03",
	} {
		expr := appleScriptString(s)
		got, err := evalAppleScriptString(expr)
		if err != nil || got != s {
			t.Errorf("appleScriptString(%q) = %s: reads back as %q, %v", s, expr, got, err)
		}
	}
	if got := appleScriptString("a\x00b\xffc"); got != `"ab`+"\uFFFD"+`c"` {
		t.Errorf("NUL and invalid UTF-8: %s", got)
	}
	if got := appleScriptString("a\nb"); got != `"a" & (character id 10) & "b"` {
		t.Errorf("newline: %s", got)
	}
}

// TestOsascriptSender runs the osascript path against a stand-in that
// records its arguments: the script is one -e argument in the form above,
// a failing osascript is an error with its message, and a success is
// still an error when Script Editor may not notify.
func TestOsascriptSender(t *testing.T) {
	dir := t.TempDir()
	args := filepath.Join(dir, "args")
	fake := filepath.Join(dir, "osascript")
	write := func(script string) {
		if err := os.WriteFile(fake, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(`printf '%s\n' "$@" > ` + args + "\n")
	allowed := error(nil)
	send := osascriptSender(fake, func() error { return allowed })
	if err := send(`Doctor "ok"`, "all\tgood"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(args)
	want := "-e\n" + `display notification "all" & (character id 9) & "good" with title "Doctor \"ok\""` + "\n"
	if string(got) != want {
		t.Errorf("osascript got\n%s\nwant\n%s", got, want)
	}

	allowed = errScriptEditorNotAllowed
	if err := send("t", "m"); !errors.Is(err, errScriptEditorNotAllowed) {
		t.Errorf("dropped by macOS: err = %v", err)
	}

	write("echo '0:5: execution error: Connection is invalid. (-609)' >&2; exit 1\n")
	if err := send("t", "m"); err == nil || !strings.Contains(err.Error(), "(-609)") {
		t.Errorf("failing osascript: err = %v", err)
	}
}

func TestNcprefsHasApp(t *testing.T) {
	plist := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>apps</key>
	<array>
		<dict>
			<key>bundle-id</key>
			<string>com.apple.mail</string>
			<key>flags</key>
			<integer>41951246</integer>
			<key>path</key>
			<string>com.apple.ScriptEditor2</string>
		</dict>
		<dict>
			<key>auth</key>
			<integer>7</integer>
			<key>bundle-id</key>
			<string>com.apple.ScriptEditor2</string>
		</dict>
	</array>
</dict>
</plist>`)
	if found, err := ncprefsHasApp(plist, scriptEditorID); !found || err != nil {
		t.Errorf("Script Editor listed: %v, %v", found, err)
	}
	if found, err := ncprefsHasApp(plist, "com.clawbridge.clawbridge"); found || err != nil {
		t.Errorf("an app not listed: %v, %v (a bundle id under another key must not count)", found, err)
	}
	if _, err := ncprefsHasApp([]byte("<plist><dict><key>apps</key><array>"), scriptEditorID); err == nil {
		t.Error("a truncated plist read as fine")
	}
}

// TestAppleScriptStringWithOsascript has AppleScript itself read back
// what appleScriptString wrote, where there is an osascript (macOS): the
// expression compiles and evaluates to the original text.
func TestAppleScriptStringWithOsascript(t *testing.T) {
	osascript, err := exec.LookPath("osascript")
	if err != nil {
		t.Skip("no osascript: not macOS")
	}
	os.Remove("/tmp/pwned")
	for _, s := range []string{
		`say "hi" \ bye`,
		"line one\nline two\ttabbed",
		"bell\x07 esc\x1b[31m",
		`" & (do shell script "touch /tmp/pwned") & "`,
		"unicode: Zürich → ✓",
	} {
		out, err := exec.Command(osascript, "-e", "return "+appleScriptString(s)).Output()
		if err != nil || strings.TrimSuffix(string(out), "\n") != s {
			t.Errorf("osascript read %s as %q (%v), want %q", appleScriptString(s), out, err, s)
		}
	}
	if _, err := os.Stat("/tmp/pwned"); err == nil {
		t.Error("/tmp/pwned exists: a title ran a shell command")
	}
}
