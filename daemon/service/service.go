// Package service installs and controls clawbridge as a per-user agent that
// starts at login: a LaunchAgent on macOS, a systemd user unit (plus a
// desktop autostart entry) on Linux. It drives kardianos/service with our
// own files from packaging/, because kardianos's defaults are wrong for a
// menu-bar daemon: its plist restarts the agent after a Quit and logs to
// $HOME, and its systemd unit wants multi-user.target, which a user manager
// never reaches.
//
// The files are rendered here (render.go), so the same bytes are tested on
// any platform. On Linux kardianos writes and registers the unit; on macOS
// this package writes the plist and drives launchctl's gui/UID domain
// itself (launchctl.go), since kardianos v1.3 uses the legacy load/unload
// and passes on launchctl's bare error numbers.
package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/clawbridge/clawbridge/patcher/atomicfile"
	kservice "github.com/kardianos/service"
)

// Options say what the installed agent runs. The zero value installs this
// executable with the default config and log directory.
type Options struct {
	// Executable is the program the agent runs; "" means this process's,
	// with symlinks resolved (see agentExecutable for app bundles and
	// Homebrew).
	Executable string
	// ConfigPath is passed to the agent as `--config PATH` when non-empty.
	ConfigPath string
	// LogDir receives the agent's output; "" means LogDir().
	LogDir string

	// Getuid reports the user the commands act for; nil means os.Getuid.
	// Tests set it to take the per-user path while running as root.
	Getuid func() int
	// KardianosOptions are passed to kardianos/service for the keys this
	// package does not set itself (RunWait, for example); ours win.
	KardianosOptions kservice.KeyValue
}

// Errors the commands return for the states a user can be in; they are
// wrapped with the path and the next command to run.
var (
	ErrAlreadyInstalled = errors.New("clawbridge is already installed")
	ErrNotInstalled     = errors.New("clawbridge is not installed")
	ErrRoot             = errors.New("clawbridge runs as a per-user agent, not as root")
)

// Agent describes an installed (or to be installed) agent.
type Agent struct {
	Name      string   // launchd label or systemd unit
	File      string   // the LaunchAgent plist or systemd user unit
	Autostart string   // the desktop autostart entry (Linux); "" elsewhere
	Command   []string // the executable, then its arguments
	LogFile   string   // where its stdout and stderr go
}

// State is what Status finds.
type State struct {
	// Installed: the agent's file is in place.
	Installed bool
	// Running: the service manager reports the agent's process running.
	Running bool
	// File is the agent's LaunchAgent plist or systemd unit.
	File string
	// Homebrew: the agent is the one `brew services` installed (macOS),
	// controlled with brew rather than clawbridge's commands.
	Homebrew bool
	// Detail says the same in words, with what to do about it, for example
	// "installed, not running (start it with `clawbridge start`)".
	Detail string
}

// New returns a kardianos service for clawbridge with our LaunchAgent or
// unit, as a per-user service running `EXECUTABLE run [--config PATH]`.
// The daemon passes its own program to Run it; the commands below pass a
// controller that is never run.
func New(prg kservice.Interface, o Options) (kservice.Service, error) {
	p, err := currentPlatform(o)
	if err != nil {
		return nil, err
	}
	a, err := agentFor(p, o)
	if err != nil {
		return nil, err
	}
	return newService(prg, p, a, o)
}

// Describe resolves what Install would write and run, without writing.
func Describe(o Options) (Agent, error) {
	p, err := currentPlatform(o)
	if err != nil {
		return Agent{}, err
	}
	a, err := agentFor(p, o)
	if err != nil {
		return Agent{}, err
	}
	return Agent{Name: p.name, File: p.file, Autostart: p.autostart, Command: a.command, LogFile: a.logFile}, nil
}

// AgentFile is the LaunchAgent plist or systemd user unit that the agent
// of this user is, or would be, installed as.
func AgentFile() (string, error) {
	p, err := currentPlatform(Options{})
	if err != nil {
		return "", err
	}
	return p.file, nil
}

// Install writes the agent's files and registers them with the service
// manager, so the agent starts at the next login; it does not start it
// now (Start does). Installing over an existing agent is an error: the
// user uninstalls first, so nothing is silently replaced.
func Install(o Options) error {
	return onPlatform(o, (*platform).installAgent)
}

// Uninstall stops the agent if it runs and removes its files from the
// service manager and the disk. Log files stay.
func Uninstall(o Options) error {
	return onPlatform(o, (*platform).uninstallAgent)
}

// Unregister removes the agent's files and registration, so that it does
// not start at the next login, and leaves it running. It is the tray's
// "Start at login" switched off, which runs inside the agent itself:
// Uninstall would first stop the agent, that is kill the process asking,
// before anything was removed. Log files stay.
func Unregister(o Options) error {
	return onPlatform(o, func(p *platform, o Options) error {
		svc, err := p.installed(o, "stop")
		if err != nil {
			return err
		}
		return p.unregisterAgent(svc)
	})
}

// Start starts the installed agent now.
func Start(o Options) error { return onPlatform(o, (*platform).startAgent) }

// Stop stops the running agent until the next login or Start.
func Stop(o Options) error { return onPlatform(o, (*platform).stopAgent) }

// Restart stops the agent if it runs and starts it again, so that it picks
// up a new binary or, on Linux, the desktop session's display.
func Restart(o Options) error { return onPlatform(o, (*platform).restartAgent) }

// Status reports whether the agent is installed and running. An error
// means the service manager could not be asked (for example no systemd
// user session); the State still says whether the file is installed.
func Status(o Options) (State, error) {
	p, err := currentPlatform(o)
	if err != nil {
		return State{}, err
	}
	return p.agentStatus(o)
}

// onPlatform runs do on the current platform, refusing root first.
func onPlatform(o Options, do func(*platform, Options) error) error {
	if err := refuseRoot(o); err != nil {
		return err
	}
	p, err := currentPlatform(o)
	if err != nil {
		return err
	}
	return do(p, o)
}

// installAgent is Install on p.
func (p *platform) installAgent(o Options) error {
	if p.homebrewInstalled() {
		return homebrewError(p.homebrew.plist, "start")
	}
	a, err := agentFor(p, o)
	if err != nil {
		return err
	}
	if err := checkExecutable(a.command[0]); err != nil {
		return err
	}
	if p.checkLocation != nil {
		if err := p.checkLocation(a.command[0]); err != nil {
			return err
		}
	}
	if p.environment != nil {
		if err := p.environment(context.Background(), &a); err != nil {
			// The defaults still find Homebrew's tools; doctor says what
			// the agent cannot find.
			slog.Warn("install: the agent's PATH has only the default directories", "err", err)
		}
	}
	if a.config != "" {
		if _, err := os.Stat(a.config); err != nil {
			return fmt.Errorf("config: %w (leave out --config to use the default one, created on first start)", err)
		}
	}
	if exists(p.file) {
		return fmt.Errorf("%w (%s); run `clawbridge uninstall` first to install it again", ErrAlreadyInstalled, p.file)
	}
	if err := p.preflight(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(a.logFile), 0o700); err != nil {
		return fmt.Errorf("log directory: %w", err)
	}
	svc, err := newService(controller{}, p, a, o)
	if err != nil {
		return err
	}
	if err := p.install(svc, a); err != nil {
		// kardianos writes the file before it registers it; leave nothing
		// behind that would make the next attempt "already installed".
		if rmErr := os.Remove(p.file); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			err = errors.Join(err, rmErr)
		}
		return fmt.Errorf("register %s with %s: %w", p.file, p.manager, err)
	}
	return writeAutostart(p.autostart, a)
}

// writeAutostart writes the desktop autostart entry to path, where there
// is one ("" elsewhere).
func writeAutostart(path string, a agent) error {
	if path == "" {
		return nil
	}
	entry, err := autostartEntry(a)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("autostart entry: %w", err)
	}
	if err := atomicfile.WriteFile(path, []byte(entry), 0o644); err != nil {
		return fmt.Errorf("autostart entry: %w", err)
	}
	return nil
}

// uninstallAgent is Uninstall on p.
func (p *platform) uninstallAgent(o Options) error {
	svc, err := p.installed(o, "stop")
	if err != nil {
		return err
	}
	if err := p.uninstall(svc); err != nil {
		return fmt.Errorf("remove %s from %s: %w", p.file, p.manager, err)
	}
	return removeAutostart(p.autostart)
}

// unregisterAgent is Unregister once the agent is known to be installed.
func (p *platform) unregisterAgent(svc kservice.Service) error {
	if err := p.unregister(svc); err != nil {
		return fmt.Errorf("remove %s from %s: %w", p.file, p.manager, err)
	}
	return removeAutostart(p.autostart)
}

// removeAutostart removes the desktop autostart entry at path, where there
// is one: left behind it would run `clawbridge restart` at every login.
func removeAutostart(path string) error {
	if path == "" {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("autostart entry: %w", err)
	}
	return nil
}

// startAgent is Start on p.
func (p *platform) startAgent(o Options) error {
	svc, err := p.installed(o, "start")
	if err != nil {
		return err
	}
	if err := p.beforeStart(); err != nil {
		return err
	}
	if err := p.start(svc); err != nil {
		return fmt.Errorf("%s could not start %s: %w%s", p.manager, p.name, err, p.logHint(o))
	}
	return nil
}

// stopAgent is Stop on p.
func (p *platform) stopAgent(o Options) error {
	svc, err := p.installed(o, "stop")
	if err != nil {
		return err
	}
	if err := p.stop(svc); err != nil {
		return fmt.Errorf("%s could not stop %s: %w", p.manager, p.name, err)
	}
	return nil
}

// restartAgent is Restart on p.
func (p *platform) restartAgent(o Options) error {
	svc, err := p.installed(o, "restart")
	if err != nil {
		return err
	}
	if st, err := p.status(svc); err != nil || st != kservice.StatusRunning {
		return p.startAgent(o)
	}
	if err := p.beforeStart(); err != nil {
		return err
	}
	if err := p.restart(svc); err != nil {
		return fmt.Errorf("%s could not restart %s: %w%s", p.manager, p.name, err, p.logHint(o))
	}
	return nil
}

// agentStatus is Status on p.
func (p *platform) agentStatus(o Options) (State, error) {
	if !exists(p.file) && p.homebrewInstalled() {
		return homebrewStatus(*p.homebrew)
	}
	st := State{Installed: exists(p.file), File: p.file}
	svc, err := newService(controller{}, p, agent{}, o)
	if err != nil {
		return st, err
	}
	status, err := p.status(svc)
	switch {
	case err == nil && status == kservice.StatusRunning:
		st.Running = true
		st.Detail = "running"
	case err == nil && status == kservice.StatusStopped:
		st.Detail = "installed, not running (start it with `clawbridge start`)"
	case errors.Is(err, kservice.ErrNotInstalled) && st.Installed:
		st.Detail = fmt.Sprintf("installed, but %s has not loaded it (log out and in, or run `clawbridge start`)", p.manager)
	case errors.Is(err, kservice.ErrNotInstalled), err == nil && !st.Installed:
		st.Detail = "not installed (install it with `clawbridge install`)"
	case err != nil && strings.Contains(err.Error(), "failed state"):
		// kardianos's only word for a systemd unit that exited with an error.
		st.Detail = "failed: it exited with an error" + p.logHint(o)
	case err != nil:
		st.Detail = "unknown"
		return st, fmt.Errorf("ask %s about %s: %w", p.manager, p.name, err)
	default:
		st.Detail = "unknown"
	}
	return st, nil
}

// controller is the kardianos program for the commands that only talk to
// the service manager. kardianos calls it only from Run, which they never
// call, so calling it is a bug worth an error.
type controller struct{}

func (controller) Start(kservice.Service) error {
	return errors.New("service: the controller is not a program to run; pass the daemon to New")
}

func (controller) Stop(kservice.Service) error { return nil }

// agentFor resolves Options into the agent's command and log file.
func agentFor(p *platform, o Options) (agent, error) {
	exe, err := agentExecutable(o.Executable)
	if err != nil {
		return agent{}, err
	}
	command := []string{exe, "run"}
	var cfg string
	if o.ConfigPath != "" {
		if cfg, err = filepath.Abs(o.ConfigPath); err != nil {
			return agent{}, fmt.Errorf("config: %w", err)
		}
		command = append(command, "--config", cfg)
	}
	dir, err := logDir(o)
	if err != nil {
		return agent{}, err
	}
	return agent{label: p.name, command: command, config: cfg, logFile: filepath.Join(dir, LogFileName)}, nil
}

// logDir is Options.LogDir, or LogDir() when that is empty, made absolute.
func logDir(o Options) (string, error) {
	dir := o.LogDir
	if dir == "" {
		var err error
		if dir, err = LogDir(); err != nil {
			return "", err
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("log directory: %w", err)
	}
	return abs, nil
}

// newService builds the kardianos service. With a zero agent it can only
// control what is installed (start, stop, status, uninstall).
func newService(prg kservice.Interface, p *platform, a agent, o Options) (kservice.Service, error) {
	opts := kservice.KeyValue{}
	for k, v := range o.KardianosOptions {
		opts[k] = v
	}
	opts["UserService"] = true
	cfg := &kservice.Config{
		Name:        p.name,
		DisplayName: "clawbridge",
		Description: "clawbridge: Clawdbot on local Ollama models",
		Option:      opts,
	}
	if len(a.command) > 0 {
		rendered, err := p.render(a)
		if err != nil {
			return nil, err
		}
		opts[p.option] = rendered
		cfg.Executable = a.command[0]
		cfg.Arguments = a.command[1:]
	}
	svc, err := p.system.New(prg, cfg)
	if err != nil {
		return nil, fmt.Errorf("kardianos/service: %w", err)
	}
	return svc, nil
}

// installed checks that the agent is installed and returns a service to
// control it. When only Homebrew's is, the error names the `brew
// services` verb that does what the caller was asked to.
func (p *platform) installed(o Options, brewVerb string) (kservice.Service, error) {
	if !exists(p.file) && p.homebrewInstalled() {
		return nil, homebrewError(p.homebrew.plist, brewVerb)
	}
	if !exists(p.file) {
		return nil, fmt.Errorf("%w (no %s); run `clawbridge install` first", ErrNotInstalled, p.file)
	}
	return newService(controller{}, p, agent{}, o)
}

// refuseRoot stops root from installing or controlling a per-user agent:
// under sudo it would land in root's home and never start for the user.
func refuseRoot(o Options) error {
	if uidOf(o) == 0 {
		return fmt.Errorf("%w: run this as the user who logs in to the desktop, without sudo", ErrRoot)
	}
	return nil
}

// homebrewInstalled reports whether `brew services` has installed its
// clawbridge agent.
func (p *platform) homebrewInstalled() bool {
	return p.homebrew != nil && exists(p.homebrew.plist)
}

// uidOf is the user the commands act for: o.Getuid's, or this process's.
func uidOf(o Options) int {
	if o.Getuid != nil {
		return o.Getuid()
	}
	return os.Getuid()
}

// logHint tells where to look when the agent would not start or failed.
func (p *platform) logHint(o Options) string {
	where := "the log directory"
	if dir, err := logDir(o); err == nil {
		where = filepath.Join(dir, LogFileName)
	}
	if p.manager == "systemd" {
		return "; see `systemctl --user status " + SystemdUnit + "` and " + where
	}
	return "; see " + where
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
