package main

import (
	"context"

	"github.com/clawbridge/clawbridge/daemon"
	"github.com/clawbridge/clawbridge/daemon/doctor"
	"github.com/clawbridge/clawbridge/daemon/service"
)

// loginItem is the tray's "Start at login": the same agent `clawbridge
// install` writes, for the config the daemon runs with.
type loginItem struct{ o service.Options }

func newLoginItem(cfgPath string) daemon.LoginItem {
	o := serviceOptions()
	o.ConfigPath = cfgPath
	return loginItem{o}
}

// Installed reports whether the agent is installed for this config.
func (l loginItem) Installed() bool {
	s, err := service.Status(l.o)
	return err == nil && s.Installed
}

// Install only installs: the daemon asking is already running.
func (l loginItem) Install() error { return service.Install(l.o) }

// Uninstall only unregisters: "Start at login" off means "not at the next
// login", never "quit now". The daemon asking is usually the agent itself,
// which service.Uninstall would stop, killing it before the agent's file
// was removed.
func (l loginItem) Uninstall() error { return service.Unregister(l.o) }

// serviceStatusForDoctor lets the doctor report the login agent.
func serviceStatusForDoctor(cfgPath string) func() (doctor.ServiceStatus, error) {
	return func() (doctor.ServiceStatus, error) {
		o := serviceOptions()
		o.ConfigPath = cfgPath
		s, err := service.Status(o)
		return doctor.ServiceStatus{Installed: s.Installed, Running: s.Running, Detail: s.Detail}, err
	}
}

// agentEnvironmentForDoctor lets the doctor compare the LaunchAgent's
// PATH and LANG with what the user's login shell finds.
func agentEnvironmentForDoctor(ctx context.Context) (doctor.AgentEnvironment, bool, error) {
	env, ok, err := service.InstalledEnvironment(serviceOptions())
	if err != nil || !ok {
		return doctor.AgentEnvironment{}, ok, err
	}
	tools, shellErr := service.LoginShellTools(ctx)
	return doctor.AgentEnvironment{File: env.File, Homebrew: env.Homebrew, PATH: env.PATH, LANG: env.LANG,
		Tools: service.AgentTools, Shell: tools, ShellErr: shellErr}, true, nil
}
