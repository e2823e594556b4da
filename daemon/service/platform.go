package service

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/clawbridge/clawbridge/patcher/atomicfile"
	kservice "github.com/kardianos/service"
)

// The names the service managers know clawbridge by.
const (
	// LaunchdLabel is the macOS LaunchAgent's label, also the app bundle's
	// identifier (packaging/macos/Info.plist).
	LaunchdLabel = "io.github.clawbridge"
	// SystemdUnit is the Linux systemd user unit's name.
	SystemdUnit = "clawbridge.service"
)

// platform is how one operating system runs a per-user agent.
type platform struct {
	system kservice.System
	// name is kardianos's Config.Name: the launchd label, or the systemd
	// unit's name without ".service".
	name string
	// option is the kardianos option that carries our rendered file, and
	// render renders it.
	option string
	render func(agent) (string, error)
	// file is where kardianos writes the rendered file.
	file string
	// autostart is the desktop autostart entry written beside the unit
	// (Linux); "" where there is none.
	autostart string
	// manager names the service manager in messages.
	manager string
	// homebrew is the agent `brew services` installs instead of ours
	// (macOS); nil where there is none to look for.
	homebrew *launchJob
	// environment fills the agent's environment at install (macOS: PATH
	// and LANG from the login shell); nil where the service manager's own
	// environment applies.
	environment func(ctx context.Context, a *agent) error
	// checkLocation refuses an executable the agent could not find at the
	// next login (macOS: translocated, quarantined, on a volume or in
	// Downloads); nil where every path stays.
	checkLocation func(exe string) error
	// preflight checks that the service manager is there, before anything
	// is written.
	preflight func() error
	// beforeStart runs before starting or restarting the agent.
	beforeStart func() error
	// install writes the rendered agent file and registers it for the
	// next login, without starting it.
	install func(svc kservice.Service, a agent) error
	// uninstall stops the agent and removes it from the service manager
	// and the disk.
	uninstall func(svc kservice.Service) error
	// start, stop and restart act on the installed agent now.
	start, stop, restart func(svc kservice.Service) error
	// status asks the service manager whether the agent runs; an agent it
	// has not loaded is kservice.ErrNotInstalled.
	status func(svc kservice.Service) (kservice.Status, error)
	// unregister removes the installed agent from the service manager and
	// the disk without stopping it, so that it does not start at the next
	// login (see Unregister).
	unregister func(svc kservice.Service) error
}

// currentPlatform is the platform this process runs on, acting for the
// user o.Getuid names.
func currentPlatform(o Options) (*platform, error) {
	home, err := homeDir(runtime.GOOS)
	if err != nil {
		return nil, err
	}
	switch runtime.GOOS {
	case "darwin":
		return darwinPlatform(home, uidOf(o), kservice.ChosenSystem())
	case "linux":
		return linuxPlatform(home, os.Getenv("XDG_CONFIG_HOME"), systemByName("linux-systemd"))
	}
	return nil, fmt.Errorf("clawbridge can be installed as a service on macOS and Linux, not on %s; run `clawbridge run` instead", runtime.GOOS)
}

// systemByName finds one of kardianos's service managers. On Linux the
// systemd one is chosen by name rather than by kardianos's detection,
// which looks at PID 1: a user unit is what is wanted whatever started the
// machine, and tests run it in containers.
func systemByName(name string) kservice.System {
	for _, s := range kservice.AvailableSystems() {
		if s.String() == name {
			return s
		}
	}
	return nil
}

// darwinPlatform is launchd for user uid with home as the home directory:
// the plist is written here and launchctl driven in the gui/UID domain.
func darwinPlatform(home string, uid int, sys kservice.System) (*platform, error) {
	if sys == nil {
		return nil, fmt.Errorf("kardianos/service found no launchd here")
	}
	file := filepath.Join(home, "Library", "LaunchAgents", LaunchdLabel+".plist")
	job := launchJob{uid: uid, label: LaunchdLabel, plist: file}
	return &platform{
		system:      sys,
		name:        LaunchdLabel,
		option:      "LaunchdConfig",
		render:      launchAgentPlist,
		file:        file,
		manager:     "launchd",
		homebrew:    &launchJob{uid: uid, label: HomebrewLabel, plist: homebrewPlist(home)},
		environment: resolveAgentEnvironment,
		checkLocation: func(exe string) error {
			return checkStableLocation(exe, home, readXattr)
		},
		preflight:   func() error { return nil },
		beforeStart: func() error { return nil },
		install:     func(_ kservice.Service, a agent) error { return writeLaunchAgent(file, a) },
		// bootout stops the job, running or not, and unloads it; launchd
		// would keep a loaded job whose plist is gone until logout.
		uninstall: func(kservice.Service) error {
			if err := job.bootout(); err != nil {
				return err
			}
			return os.Remove(file)
		},
		start:      func(kservice.Service) error { return launchdStart(job) },
		stop:       func(kservice.Service) error { return job.bootout() },
		restart:    func(kservice.Service) error { return launchdRestart(job) },
		status:     func(kservice.Service) (kservice.Status, error) { return launchdStatus(job) },
		unregister: func(kservice.Service) error { return launchdUnregister(file) },
	}, nil
}

func linuxPlatform(home, xdgConfig string, sys kservice.System) (*platform, error) {
	if sys == nil {
		return nil, fmt.Errorf("kardianos/service has no systemd support in this build")
	}
	if !filepath.IsAbs(xdgConfig) {
		xdgConfig = filepath.Join(home, ".config")
	}
	return &platform{
		system: sys,
		name:   strings.TrimSuffix(SystemdUnit, ".service"),
		option: "SystemdScript",
		render: systemdUnit,
		// kardianos writes user units under $HOME/.config whatever
		// XDG_CONFIG_HOME says.
		file:        filepath.Join(home, ".config", "systemd", "user", SystemdUnit),
		autostart:   filepath.Join(xdgConfig, "autostart", "clawbridge.desktop"),
		manager:     "systemd",
		preflight:   findSystemctl,
		beforeStart: importDesktopEnvironment,
		install:     func(svc kservice.Service, _ agent) error { return svc.Install() },
		uninstall:   systemdUninstall,
		start:       kservice.Service.Start,
		stop:        kservice.Service.Stop,
		restart:     kservice.Service.Restart,
		status:      kservice.Service.Status,
		// kardianos's systemd Uninstall is `systemctl --user disable`, the
		// unit file removed and `daemon-reload`; it does not stop the
		// unit, and systemd keeps a running unit whose file is gone until
		// it exits.
		unregister: kservice.Service.Uninstall,
	}, nil
}

// systemdUninstall stops a running unit, which kardianos's Uninstall does
// not do (see linuxPlatform's unregister), then uninstalls it.
func systemdUninstall(svc kservice.Service) error {
	if st, err := svc.Status(); err == nil && st == kservice.StatusRunning {
		if err := svc.Stop(); err != nil {
			return fmt.Errorf("stop before uninstalling: %w", err)
		}
	}
	return svc.Uninstall()
}

// writeLaunchAgent writes the rendered LaunchAgent plist, readable by
// launchd and writable by the user only (launchd refuses a plist others
// can write).
func writeLaunchAgent(file string, a agent) error {
	plist, err := launchAgentPlist(a)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("LaunchAgents directory: %w", err)
	}
	if err := atomicfile.WriteFile(file, []byte(plist), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}

// launchdStart starts the agent: a job launchd has not loaded is
// bootstrapped (RunAtLoad starts it); one still loaded but not running,
// the state a Quit from the menu leaves (KeepAlive does not restart a
// clean exit), is kickstarted; a running one is left alone.
func launchdStart(job launchJob) error {
	st, err := job.state()
	switch {
	case err != nil:
		return err
	case !st.Loaded:
		return job.bootstrap()
	case !st.Running:
		return job.kickstart(false)
	}
	return nil
}

// launchdRestart kills and restarts a loaded agent in one step (kickstart
// -k), and bootstraps one launchd has not loaded.
func launchdRestart(job launchJob) error {
	st, err := job.state()
	if err != nil {
		return err
	}
	if !st.Loaded {
		return job.bootstrap()
	}
	return job.kickstart(true)
}

// launchdStatus is the agent's state in kardianos's words.
func launchdStatus(job launchJob) (kservice.Status, error) {
	st, err := job.state()
	switch {
	case err != nil:
		return kservice.StatusUnknown, err
	case !st.Loaded:
		return kservice.StatusUnknown, kservice.ErrNotInstalled
	case st.Running:
		return kservice.StatusRunning, nil
	}
	return kservice.StatusStopped, nil
}

// launchdUnregister removes the LaunchAgent plist and nothing else.
// kardianos's Uninstall, like `launchctl unload` or `bootout`, would stop
// the job first; launchd keeps a loaded job whose plist is gone until the
// user logs out, and loads only the plists it finds at the next login.
func launchdUnregister(plist string) error {
	return os.Remove(plist)
}

func findSystemctl() error {
	if _, err := exec.LookPath("systemctl"); err != nil {
		return fmt.Errorf("systemctl not found: clawbridge installs a systemd user unit and this system has no systemd; start `clawbridge run` from your session's autostart instead")
	}
	return nil
}

// desktopVariables are what a desktop session adds to the environment that
// the tray needs. A user unit started at login, before the desktop, does
// not have them.
var desktopVariables = []string{
	"DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "XDG_CURRENT_DESKTOP", "XDG_SESSION_TYPE", "DBUS_SESSION_BUS_ADDRESS",
}

// importDesktopEnvironment hands the desktop variables of this process's
// environment to the systemd user manager, so that the agent started next
// can show its menu. This is what desktops do themselves with
// dbus-update-activation-environment --systemd; not every desktop does.
func importDesktopEnvironment() error {
	var set []string
	for _, v := range desktopVariables {
		if os.Getenv(v) != "" {
			set = append(set, v)
		}
	}
	if len(set) == 0 {
		return nil
	}
	args := append([]string{"--user", "import-environment"}, set...)
	if out, err := exec.Command("systemctl", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("systemctl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
