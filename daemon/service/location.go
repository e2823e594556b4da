package service

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrUnstableLocation means the executable runs from a place that is gone
// or different at the next login, so a LaunchAgent pointing at it would
// fail there.
var ErrUnstableLocation = errors.New("clawbridge runs from a place the login agent cannot rely on")

// quarantineAttr is the extended attribute macOS puts on what a browser
// downloads: "FLAGS;TIME;AGENT;UUID", FLAGS in hexadecimal.
const quarantineAttr = "com.apple.quarantine"

// quarantineApproved is the flag Gatekeeper sets once the user has opened
// the download (0083 becomes 00c3); the attribute itself stays.
const quarantineApproved = 0x40

// xattrReader reads one extended attribute of a file; found is false when
// the file has none of that name.
type xattrReader func(path, name string) (value []byte, found bool, err error)

// checkStableLocation refuses an agent executable that macOS would not
// find at the next login: an app translocated by Gatekeeper (a random
// read-only copy under /private/var/folders/…/AppTranslocation/), one on a
// disk image or another volume under /Volumes, one in ~/Downloads, and one
// still quarantined, not yet opened and approved where it is. The error
// says where to move it.
func checkStableLocation(exe, home string, readXattr xattrReader) error {
	what, move := "clawbridge", "move clawbridge to a folder that stays, such as /usr/local/bin, and run `clawbridge install` from there"
	if InAppBundle(exe) {
		what, move = "clawbridge.app", "move clawbridge.app to /Applications (drag it there in Finder), open it from there, and switch on Start at login again"
	}
	lower := strings.ToLower(exe)
	downloads := strings.ToLower(filepath.Join(home, "Downloads")) + "/"
	var why string
	switch {
	case strings.Contains(exe, "/AppTranslocation/"):
		why = fmt.Sprintf("macOS runs %s from a temporary copy (App Translocation, %s) because it was opened where it was downloaded", what, exe)
	case strings.HasPrefix(lower, "/volumes/"):
		why = fmt.Sprintf("%s runs from a disk image or another volume (%s), which is not there at every login", what, exe)
	case home != "" && strings.HasPrefix(lower, downloads):
		why = fmt.Sprintf("%s runs from Downloads (%s)", what, exe)
	default:
		quarantined, err := isQuarantined(bundleOrFile(exe), readXattr)
		if err != nil {
			return err
		}
		if !quarantined {
			return nil
		}
		why = fmt.Sprintf("%s is still quarantined by Gatekeeper (%s on %s), so macOS would stop it at login", what, quarantineAttr, bundleOrFile(exe))
	}
	return fmt.Errorf("%w: %s; %s", ErrUnstableLocation, why, move)
}

// bundleOrFile is the .app directory around an app bundle's executable,
// where Gatekeeper keeps the quarantine, or the executable itself.
func bundleOrFile(exe string) string {
	if InAppBundle(exe) {
		return filepath.Dir(filepath.Dir(filepath.Dir(exe)))
	}
	return exe
}

// isQuarantined reports whether path carries a quarantine attribute that
// Gatekeeper has not approved. An attribute it cannot read as one (no
// flags field) counts as quarantined, as Gatekeeper treats it.
func isQuarantined(path string, readXattr xattrReader) (bool, error) {
	v, found, err := readXattr(path, quarantineAttr)
	if err != nil {
		return false, fmt.Errorf("read %s of %s: %w", quarantineAttr, path, err)
	}
	if !found {
		return false, nil
	}
	field, _, _ := strings.Cut(string(v), ";")
	flags, err := strconv.ParseUint(field, 16, 16)
	if err != nil {
		return true, nil
	}
	return flags&quarantineApproved == 0, nil
}
