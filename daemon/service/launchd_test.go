package service

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	kservice "github.com/kardianos/service"
)

// testUID is the user the macOS tests act for; its GUI domain is gui/501.
const testUID = 501

// darwinSystem lets darwinPlatform be built on any OS. The launchd path
// asks kardianos for a service but never calls it: every method of the
// service it returns panics, which fails the test that reached it.
type darwinSystem struct{ kservice.System }

func (darwinSystem) New(kservice.Interface, *kservice.Config) (kservice.Service, error) {
	return unusedService{}, nil
}

type unusedService struct{ kservice.Service }

// fakeLaunchctl is a stand-in launchctl first on PATH: it records each
// call's arguments, one line per call, and keeps the job's state in a
// file ("", "loaded" or "running"), answering print, bootstrap, bootout
// and kickstart the way launchctl does, with its error numbers and exit
// statuses. FAKE_LAUNCHCTL_FAIL="VERB CODE" makes VERB fail with CODE.
const fakeLaunchctl = `#!/bin/sh
printf '%s\n' "$*" >>"$FAKE_LAUNCHCTL_DIR/calls"
state=$(cat "$FAKE_LAUNCHCTL_DIR/state" 2>/dev/null)
set -- "$@"
if [ -n "$FAKE_LAUNCHCTL_FAIL" ] && [ "${FAKE_LAUNCHCTL_FAIL% *}" = "$1" ]; then
	code=${FAKE_LAUNCHCTL_FAIL#* }
	echo "Bootstrap failed: $code: Simulated error"
	exit "$code"
fi
case "$1" in
print)
	if [ -z "$state" ]; then
		echo "Could not find service \"${2##*/}\" in domain for user gui: 501"
		exit 113
	fi
	printf '%s = {\n\tactive count = 1\n\tpath = /p.plist\n\tstate = %s\n' "$2" "$state"
	[ "$state" = running ] && printf '\tpid = 4242\n'
	printf '\tendpoints = {\n\t\t"x" = {\n\t\t\tstate = running\n\t\t}\n\t}\n}\n'
	exit 0 ;;
bootstrap)
	[ -f "$3" ] || { echo "Bootstrap failed: 2: No such file or directory"; exit 2; }
	echo running >"$FAKE_LAUNCHCTL_DIR/state" ;;
bootout)
	[ -z "$state" ] && { echo "Boot-out failed: 3: No such process"; exit 3; }
	: >"$FAKE_LAUNCHCTL_DIR/state" ;;
kickstart)
	[ -z "$state" ] && { echo "Could not find service"; exit 113; }
	echo running >"$FAKE_LAUNCHCTL_DIR/state" ;;
*)
	echo "Unrecognized subcommand: $1"; exit 64 ;;
esac
exit 0
`

type launchctlStandIn struct{ dir string }

func newLaunchctl(t *testing.T) launchctlStandIn {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "launchctl"), []byte(fakeLaunchctl), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_LAUNCHCTL_DIR", dir)
	t.Setenv("FAKE_LAUNCHCTL_FAIL", "")
	return launchctlStandIn{dir}
}

// calls returns the recorded calls and forgets them.
func (l launchctlStandIn) calls(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(l.dir, "calls"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(l.dir, "calls"))
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func (l launchctlStandIn) setState(t *testing.T, s string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(l.dir, "state"), []byte(s+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (l launchctlStandIn) want(t *testing.T, step string, want ...string) {
	t.Helper()
	if got := l.calls(t); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: launchctl calls\n%q\nwant\n%q", step, got, want)
	}
}

// darwinSetup returns the macOS platform in a temporary home and Options
// for a real executable file.
func darwinSetup(t *testing.T) (*platform, Options) {
	t.Helper()
	home := t.TempDir()
	p, err := darwinPlatform(home, testUID, darwinSystem{})
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("FAKE_TOOLS") == "" {
		installFakeShell(t)
	}
	exe := filepath.Join(t.TempDir(), "clawbridge")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p, Options{Executable: exe, LogDir: filepath.Join(home, "Library", "Logs", "clawbridge"), Getuid: func() int { return testUID }}
}

// TestLaunchdLifecycle drives install, start, status, a Quit, restart,
// stop and uninstall through the stand-in, checking the command lines
// launchctl receives: the gui/UID domain subcommands, never the legacy
// load, unload or list.
func TestLaunchdLifecycle(t *testing.T) {
	lc := newLaunchctl(t)
	p, o := darwinSetup(t)
	target := "gui/501/" + LaunchdLabel

	if err := p.installAgent(o); err != nil {
		t.Fatal(err)
	}
	lc.want(t, "install writes the plist only")
	info, err := os.Stat(p.file)
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Fatalf("plist %s: %v, mode %v; want 0644", p.file, err, info)
	}
	m := parsePlist(t, mustRead(t, p.file))
	if args, _ := m["ProgramArguments"].([]any); len(args) != 2 || args[0] != o.Executable || args[1] != "run" {
		t.Errorf("ProgramArguments = %#v", m["ProgramArguments"])
	}
	st, err := p.agentStatus(o)
	if err != nil || !st.Installed || st.Running || !strings.Contains(st.Detail, "has not loaded it") {
		t.Errorf("after install: %+v, %v", st, err)
	}
	lc.want(t, "status", "print "+target)

	if err := p.startAgent(o); err != nil {
		t.Fatal(err)
	}
	lc.want(t, "start", "print "+target, "bootstrap gui/501 "+p.file)
	if st, err := p.agentStatus(o); err != nil || !st.Running {
		t.Errorf("after start: %+v, %v", st, err)
	}
	lc.calls(t)

	// A Quit from the menu: loaded, not running.
	lc.setState(t, "waiting")
	if st, err := p.agentStatus(o); err != nil || st.Running || !strings.Contains(st.Detail, "not running") {
		t.Errorf("after a Quit: %+v, %v", st, err)
	}
	lc.calls(t)
	if err := p.startAgent(o); err != nil {
		t.Fatal(err)
	}
	lc.want(t, "start after a Quit", "print "+target, "kickstart "+target)
	if err := p.startAgent(o); err != nil {
		t.Fatal(err)
	}
	lc.want(t, "start while running", "print "+target)

	if err := p.restartAgent(o); err != nil {
		t.Fatal(err)
	}
	lc.want(t, "restart", "print "+target, "print "+target, "kickstart -k "+target)

	if err := p.stopAgent(o); err != nil {
		t.Fatal(err)
	}
	lc.want(t, "stop", "bootout "+target)
	if err := p.stopAgent(o); err != nil {
		t.Errorf("stop when stopped: %v", err)
	}
	lc.want(t, "stop when stopped", "bootout "+target)

	if err := p.restartAgent(o); err != nil {
		t.Fatal(err)
	}
	lc.want(t, "restart when not loaded", "print "+target, "print "+target, "bootstrap gui/501 "+p.file)

	if err := p.uninstallAgent(o); err != nil {
		t.Fatal(err)
	}
	lc.want(t, "uninstall", "bootout "+target)
	if exists(p.file) {
		t.Errorf("%s left after uninstall", p.file)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLaunchctlErrorsSayWhatToDo: launchctl's bare numbers become advice.
func TestLaunchctlErrorsSayWhatToDo(t *testing.T) {
	lc := newLaunchctl(t)
	p, o := darwinSetup(t)
	if err := p.installAgent(o); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		code string
		want []string
	}{
		{"5", []string{"launchctl bootstrap gui/501 " + p.file, "Bootstrap failed: 5", "plutil -lint " + p.file}},
		{"119", []string{"Login Items", "launchctl enable gui/501/" + LaunchdLabel}},
		{"122", []string{"chmod 644 " + p.file}},
		{"125", []string{"no desktop session", "SSH"}},
		{"134", []string{"no desktop session"}},
		{"1", []string{"without sudo"}},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			t.Setenv("FAKE_LAUNCHCTL_FAIL", "bootstrap "+c.code)
			err := p.startAgent(o)
			var le *launchctlError
			if !errors.As(err, &le) || strconv.Itoa(le.Code) != c.code {
				t.Fatalf("err = %v, want a launchctl error %s", err, c.code)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v\ndoes not say %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), "launchd could not start "+LaunchdLabel) {
				t.Errorf("%v: no context", err)
			}
		})
	}
	lc.calls(t)
}

func TestParsePrintReadsOnlyTheJobsOwnState(t *testing.T) {
	out := "gui/501/x = {\n\tstate = waiting\n\tendpoints = {\n\t\tstate = running\n\t}\n\tpid = 0\n}\n"
	if got := parsePrint(out); got != (jobState{Loaded: true}) {
		t.Errorf("parsePrint = %+v, want loaded, not running", got)
	}
	out = "gui/501/x = {\n\tpid = 77\n\tstate = running\n}\n"
	if got := parsePrint(out); got != (jobState{Loaded: true, Running: true, PID: 77}) {
		t.Errorf("parsePrint = %+v", got)
	}
}

// TestLaunchdUnregisterLeavesTheJobLoaded: the tray's "Start at login" off
// runs inside the LaunchAgent. Unregister removes the plist only: no
// `launchctl bootout`, which would kill the caller before the plist was
// gone.
func TestLaunchdUnregisterLeavesTheJobLoaded(t *testing.T) {
	lc := newLaunchctl(t)
	p, _ := darwinSetup(t)
	if err := os.MkdirAll(filepath.Dir(p.file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.file, []byte("<plist/>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.unregisterAgent(unusedService{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(p.file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s left after unregister (%v)", p.file, err)
	}
	lc.want(t, "unregister")

	err := p.unregisterAgent(unusedService{})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "remove "+p.file+" from launchd") {
		t.Errorf("unregister without a plist: %v", err)
	}
}
