package service

import (
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
