package notify

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// scriptEditorID is the bundle id macOS files osascript's notifications
// under.
const scriptEditorID = "com.apple.ScriptEditor2"

// scriptEditorAllowed tells from the user's notification preferences
// (~/Library/Preferences/com.apple.ncprefs.plist, read through plutil)
// whether Script Editor is known to Notification Center. Without an
// entry macOS 15 and later drop its notifications without a word. An
// unreadable file is not held against it: nil.
func scriptEditorAllowed() error {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	prefs := filepath.Join(home, "Library", "Preferences", "com.apple.ncprefs.plist")
	out, err := exec.CommandContext(ctx, "plutil", "-convert", "xml1", "-o", "-", prefs).Output()
	if err != nil {
		return nil
	}
	found, err := ncprefsHasApp(out, scriptEditorID)
	if err != nil || found {
		return nil
	}
	return errScriptEditorNotAllowed
}

// ncprefsHasApp reports whether an XML property list of notification
// preferences lists bundleID: some <string> holding it right after a
// <key>bundle-id</key>, wherever in the tree.
func ncprefsHasApp(plist []byte, bundleID string) (bool, error) {
	d := xml.NewDecoder(bytes.NewReader(plist))
	var lastKey, elem string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("read notification preferences: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			elem = t.Name.Local
		case xml.CharData:
			switch elem {
			case "key":
				lastKey = string(bytes.TrimSpace(t))
			case "string":
				if lastKey == "bundle-id" && string(bytes.TrimSpace(t)) == bundleID {
					return true, nil
				}
			}
		case xml.EndElement:
			if t.Name.Local != "key" {
				lastKey = ""
			}
			elem = ""
		}
	}
}
