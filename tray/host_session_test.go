package tray

import (
	"errors"
	"strings"
	"testing"
)

func TestGUISession(t *testing.T) {
	fail := errors.New("exit status 1")
	for _, c := range []struct {
		manager string
		lerr    error
		ssh     string
		wantErr string // "" means a GUI session
	}{
		{"Aqua", nil, "", ""},
		{"Aqua", nil, "10.0.0.2 5555 10.0.0.3 22", ""}, // ssh -X into a GUI user's session is still Aqua
		{"StandardIO", nil, "10.0.0.2 5555 10.0.0.3 22", `launchd session "StandardIO"`},
		{"Background", nil, "", `launchd session "Background"`},
		{"", fail, "10.0.0.2 5555 10.0.0.3 22", "SSH"},
		{"", fail, "", ""}, // no launchctl answer and no SSH: try the menu bar
	} {
		err := guiSession(c.manager, c.lerr, c.ssh)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("guiSession(%q, %v, %q) = %v, want a GUI session", c.manager, c.lerr, c.ssh, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("guiSession(%q, %v, %q) = %v, want an error with %q", c.manager, c.lerr, c.ssh, err, c.wantErr)
		}
	}
}
