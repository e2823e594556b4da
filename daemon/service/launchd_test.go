package service

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	kservice "github.com/kardianos/service"
)

// recordingService stands in for kardianos's launchd backend, which only
// builds on macOS; it records which of its actions were asked for.
type recordingService struct {
	kservice.Service
	calls *[]string
}

func (r recordingService) Start() error { *r.calls = append(*r.calls, "kardianos load"); return nil }
func (r recordingService) Stop() error  { *r.calls = append(*r.calls, "kardianos unload"); return nil }
func (r recordingService) Uninstall() error {
	*r.calls = append(*r.calls, "kardianos uninstall")
	return nil
}

// darwinSystem lets darwinPlatform be built on any OS; nothing here asks
// it for a service.
type darwinSystem struct{ kservice.System }

// TestLaunchdStartAndStop runs the macOS start and stop decisions against
// a fake launchctl (any OS): a job still loaded after a Quit is started by
// label, since loading it again fails; one not loaded is loaded; stopping
// what is not loaded does nothing.
func TestLaunchdStartAndStop(t *testing.T) {
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	fake := `#!/bin/sh
echo "launchctl $*" >>"` + calls + `"
[ "$1" = list ] && exit "$LOADED_STATUS"
exit 0
`
	if err := os.WriteFile(filepath.Join(dir, "launchctl"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))

	cases := []struct {
		name   string
		loaded bool
		do     func(kservice.Service) error
		want   []string
	}{
		{"start when loaded", true, launchdStart, []string{"launchctl list " + LaunchdLabel, "launchctl start " + LaunchdLabel}},
		{"start when not loaded", false, launchdStart, []string{"launchctl list " + LaunchdLabel, "kardianos load"}},
		{"stop when loaded", true, launchdStop, []string{"launchctl list " + LaunchdLabel, "kardianos unload"}},
		{"stop when not loaded", false, launchdStop, []string{"launchctl list " + LaunchdLabel}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(calls)
			status := "113"
			if c.loaded {
				status = "0"
			}
			t.Setenv("LOADED_STATUS", status)
			var kcalls []string
			if err := c.do(recordingService{calls: &kcalls}); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(calls)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSpace(string(b)), "\n")
			got = append(got, kcalls...)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("calls %q, want %q", got, c.want)
			}
		})
	}
}

// TestLaunchdUnregisterLeavesTheJobLoaded: the tray's "Start at login" off
// runs inside the LaunchAgent. Unregister removes the plist only: no
// `launchctl unload` or `bootout`, and not kardianos's Uninstall, which
// unloads first; either would kill the caller before the plist was gone.
func TestLaunchdUnregisterLeavesTheJobLoaded(t *testing.T) {
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	fake := "#!/bin/sh\necho \"launchctl $*\" >>\"" + calls + "\"\nexit 0\n"
	if err := os.WriteFile(filepath.Join(dir, "launchctl"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))

	home := t.TempDir()
	p, err := darwinPlatform(home, darwinSystem{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p.file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.file, []byte("<plist/>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var kcalls []string
	if err := p.unregisterAgent(recordingService{calls: &kcalls}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(p.file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s left after unregister (%v)", p.file, err)
	}
	if b, err := os.ReadFile(calls); !errors.Is(err, os.ErrNotExist) || len(kcalls) > 0 {
		t.Errorf("unregister asked launchd %q and kardianos %q, want nothing (%v)", b, kcalls, err)
	}

	err = p.unregisterAgent(recordingService{calls: &kcalls})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "remove "+p.file+" from launchd") {
		t.Errorf("unregister without a plist: %v", err)
	}
}
