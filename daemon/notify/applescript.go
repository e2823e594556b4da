package notify

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// appleScriptString is s as an AppleScript string expression: printable
// runs as string literals (only \ and " escaped, the two characters a
// literal gives meaning to), and each control character as
// (character id N), joined with &. Go's %q is not AppleScript: its \x07
// or \u2028 escapes mean nothing there, and a raw control character can
// break the script. Invalid UTF-8 becomes U+FFFD and NUL is dropped.
func appleScriptString(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var parts []string
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, `"`+lit.String()+`"`)
			lit.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == 0:
		case r < 0x20 || r == 0x7f:
			flush()
			parts = append(parts, "(character id "+strconv.Itoa(int(r))+")")
		case r == '"' || r == '\\':
			lit.WriteByte('\\')
			lit.WriteRune(r)
		default:
			lit.WriteRune(r)
		}
	}
	flush()
	if len(parts) == 0 {
		return `""`
	}
	return strings.Join(parts, " & ")
}

// notificationScript is the AppleScript that shows one notification.
func notificationScript(title, message string) string {
	return "display notification " + appleScriptString(message) + " with title " + appleScriptString(title)
}

// errScriptEditorNotAllowed is what the osascript path reports when
// macOS would drop its notifications: they are attributed to Script
// Editor, which since macOS 15 must be allowed to notify first.
var errScriptEditorNotAllowed = errors.New("macOS shows clawbridge's notifications as Script Editor's, and Script Editor is not allowed to notify: " +
	"allow it in System Settings > Notifications > Script Editor, or run clawbridge from clawbridge.app, which notifies as itself; " +
	"results of menu actions show in the menu in any case")

// osascriptSender sends through `osascript` (osascript names the
// program, for tests) and, since osascript exits 0 even when macOS drops
// the notification, asks allowed afterwards whether it can be shown.
func osascriptSender(osascript string, allowed func() error) func(title, message string) error {
	return func(title, message string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, osascript, "-e", notificationScript(title, message)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("osascript: %w: %s", err, strings.TrimSpace(string(out)))
		}
		return allowed()
	}
}
