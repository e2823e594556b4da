package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/doctor"
	"github.com/clawbridge/clawbridge/daemon/notify"
	"github.com/clawbridge/clawbridge/daemon/status"
)

// What the tray, the admin endpoint and the config file ask of a running
// daemon. Settings are written to the config file, which is the single
// source of truth, and applied from what is read back.

// Reload reads the config file again and applies it. An invalid file is
// rejected with the reason (logged and notified) and the last good config
// stays in force.
func (d *Daemon) Reload() error {
	cfg, err := d.file.load()
	if err != nil {
		d.problem("config", "Config not applied", err.Error()+" (the previous config stays in force)")
		return err
	}
	d.log.Info("config reloaded", "config", d.opts.ConfigPath)
	config.LogIgnoredKeys(d.log, cfg)
	d.solved("config")
	return d.parts.apply(cfg, false)
}

// startAtLogin is the switch that installs or removes the login agent
// instead of writing the config.
const startAtLogin = "start_at_login"

// toggleKeys are the switches kept in the config's clawbridge section, so
// they survive restarts and can be edited by hand. Their names are the
// tray's Toggle values.
var toggleKeys = map[string][]string{
	"translator":    {"translator", "enabled"},
	"auto_repatch":  {"patcher", "enabled"},
	"guard":         {"guard", "enabled"},
	"notifications": {"notifications", "enabled"},
	"gateway":       {"gateway", "enabled"},
}

// SwitchNames lists every switch SetToggle takes, in the menu's order.
func SwitchNames() []string {
	return []string{"translator", warmupSwitch, "auto_repatch", "guard", "notifications", "gateway", startAtLogin}
}

// SwitchKey returns where a switch lives under the config's clawbridge
// section, for writing it while no daemon runs; start_at_login is the
// login agent, not a key, and reports false.
func SwitchKey(name string) ([]string, bool) {
	if name == warmupSwitch {
		return warmupKey, true
	}
	key, ok := toggleKeys[name]
	return key, ok
}

// SetToggle switches the named switch (a key of toggleKeys,
// "start_at_login" or "warmup") and applies it at once. Config switches are written to
// the config file (keeping its comments and layout).
func (d *Daemon) SetToggle(t string, on bool) error {
	if t == startAtLogin {
		if d.opts.LoginItem == nil {
			return errors.New("start at login is not available in this build")
		}
		var err error
		if on {
			err = d.opts.LoginItem.Install()
		} else {
			err = d.opts.LoginItem.Uninstall()
		}
		d.update(func(st *status.State) { st.StartAtLogin = d.opts.LoginItem.Installed() })
		return err
	}
	if t == warmupSwitch {
		return d.setWarmup(on)
	}
	key, ok := toggleKeys[t]
	if !ok {
		return fmt.Errorf("unknown switch %q", t)
	}
	if err := config.SetSetting(d.opts.ConfigPath, key, on); err != nil {
		return fmt.Errorf("save %s: %w", t, err)
	}
	return d.Reload()
}

// SetAliasModel makes alias answer from backend model model, writing the
// config and applying it for the next request.
func (d *Daemon) SetAliasModel(alias, model string) error {
	if err := config.SetAliasModel(d.opts.ConfigPath, alias, model); err != nil {
		return fmt.Errorf("switch %s to %s: %w", alias, model, err)
	}
	return d.Reload()
}

// Doctor runs the doctor against this daemon's config and its live state,
// read directly rather than through the admin endpoint.
func (d *Daemon) Doctor(ctx context.Context) doctor.Report {
	return doctor.Run(ctx, doctor.Options{ConfigPath: d.opts.ConfigPath, Home: d.opts.Home, Getenv: d.opts.Getenv,
		Live: func(context.Context) *status.State { s := d.State(); return &s }})
}

// NotifyResult shows the result of something the user just asked for
// (a menu action): always, even with notifications switched off.
func (d *Daemon) NotifyResult(title, message string) {
	d.notifier.Notify(notify.Message{Title: title, Body: message, Requested: true})
}
