package service

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeXattrs stands in for getxattr(2): path -> com.apple.quarantine.
type fakeXattrs map[string]string

func (f fakeXattrs) read(path, name string) ([]byte, bool, error) {
	if name != quarantineAttr {
		return nil, false, errors.New("unexpected attribute " + name)
	}
	if path == "/broken/clawbridge" {
		return nil, false, errors.New("operation not permitted")
	}
	v, ok := f[path]
	return []byte(v), ok, nil
}

func TestCheckStableLocation(t *testing.T) {
	const home = "/Users/ada"
	app := "/Applications/clawbridge.app/Contents/MacOS/clawbridge"
	xattrs := fakeXattrs{
		"/Applications/clawbridge.app":          "0083;65a1b2c3;Safari;8F0E3F1A-0000-4000-8000-000000000001",
		"/Applications/Approved/clawbridge.app": "00c3;65a1b2c3;Safari;8F0E3F1A-0000-4000-8000-000000000002",
		"/usr/local/bin/clawbridge":             "0081;65a1b2c3;sharingd;",
		"/opt/odd/clawbridge.app":               "garbage",
	}
	cases := []struct {
		name, exe string
		xattrs    fakeXattrs
		want      []string // "" means accepted
	}{
		{"installed app", app, nil, nil},
		{"approved quarantine", "/Applications/Approved/clawbridge.app/Contents/MacOS/clawbridge", xattrs, nil},
		{"Homebrew binary", "/opt/homebrew/opt/clawbridge/bin/clawbridge", xattrs, nil},
		{"translocated", "/private/var/folders/xy/T/AppTranslocation/5E1B-44/d/clawbridge.app/Contents/MacOS/clawbridge", nil,
			[]string{"App Translocation", "move clawbridge.app to /Applications"}},
		{"disk image", "/Volumes/clawbridge/clawbridge.app/Contents/MacOS/clawbridge", nil,
			[]string{"disk image", "/Volumes/clawbridge/", "move clawbridge.app to /Applications"}},
		{"volume, other case", "/volumes/USB/clawbridge", nil, []string{"disk image", "move clawbridge to a folder that stays"}},
		{"Downloads", "/Users/ada/Downloads/clawbridge.app/Contents/MacOS/clawbridge", nil,
			[]string{"runs from Downloads", "move clawbridge.app to /Applications"}},
		{"Downloads, other case", "/Users/ada/downloads/x/clawbridge", nil, []string{"runs from Downloads"}},
		{"a folder named like Downloads", "/Users/ada/Downloads-old/clawbridge", nil, nil},
		{"quarantined app", app, xattrs, []string{"quarantined", "/Applications/clawbridge.app", "move clawbridge.app to /Applications"}},
		{"quarantined binary", "/usr/local/bin/clawbridge", xattrs, []string{"quarantined", "move clawbridge to a folder that stays"}},
		{"unreadable quarantine", "/opt/odd/clawbridge.app/Contents/MacOS/clawbridge", xattrs, []string{"quarantined"}},
		{"xattr error", "/broken/clawbridge", xattrs, []string{"read com.apple.quarantine of /broken/clawbridge", "not permitted"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.xattrs == nil {
				c.xattrs = fakeXattrs{}
			}
			err := checkStableLocation(c.exe, home, c.xattrs.read)
			if len(c.want) == 0 {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted, want a refusal")
			}
			if c.name != "xattr error" && !errors.Is(err, ErrUnstableLocation) {
				t.Errorf("%v is not ErrUnstableLocation", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v\ndoes not say %q", err, w)
				}
			}
		})
	}
}

// TestInstallRefusesDownloads: install from an app left in ~/Downloads
// writes nothing.
func TestInstallRefusesDownloads(t *testing.T) {
	lc := newLaunchctl(t)
	p, o := darwinSetup(t)
	home := filepath.Dir(filepath.Dir(filepath.Dir(p.file)))
	o.Executable = filepath.Join(home, "Downloads", "clawbridge.app", "Contents", "MacOS", "clawbridge")
	executableFile(t, o.Executable)
	err := p.installAgent(o)
	if !errors.Is(err, ErrUnstableLocation) || !strings.Contains(err.Error(), "move clawbridge.app to /Applications") {
		t.Errorf("install from Downloads: %v", err)
	}
	if _, statErr := os.Stat(p.file); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("install from Downloads wrote %s", p.file)
	}
	lc.want(t, "refused install")
}
