package status

import "testing"

// TestInstallStateWords: the names and route details status, doctor and
// the tray print for an install.
func TestInstallStateWords(t *testing.T) {
	cfg := InstallState{App: "openclaw", Version: "2026.9.6", Route: "config route", Config: "/home/ada/.openclaw/openclaw.json", State: RouteRouted}
	cat := InstallState{App: "clawdbot", Version: "2026.1.24-3", Route: "catalog patch", Catalogs: []string{"/c"}, URLs: 21, Patched: 3, State: RoutePartial}
	for _, c := range []struct{ got, want string }{
		{cfg.Name(), "OpenClaw 2026.9.6"},
		{cat.Name(), "Clawdbot 2026.1.24-3"},
		{InstallState{App: "moltbot", Version: "1"}.Name(), "Moltbot 1"},
		{cfg.RouteDetail("/home/ada"), "config route (~/.openclaw/openclaw.json)"},
		{cfg.RouteDetail("/home/adam"), "config route (/home/ada/.openclaw/openclaw.json)"},
		{InstallState{Route: "config route", Config: "/home/ada/x.json"}.RouteDetail("/home/ada"), "config route (~/x.json)"},
		{cat.RouteDetail("/home/ada"), "catalog patch (3/21 URLs)"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if !cfg.Routed() || cat.Routed() || !cat.Owns("/c") || cfg.Owns("/c") {
		t.Error("Routed or Owns")
	}
	p := PatcherState{Installs: []InstallState{cat}, Targets: []TargetState{{File: "/c"}, {File: "/loose"}}}
	if l := p.Loose(); len(l) != 1 || l[0].File != "/loose" {
		t.Errorf("Loose = %+v", l)
	}
}
