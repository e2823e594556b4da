package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clawbridge/clawbridge/daemon"
	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/status"
)

// The menu's switches and model choice from a terminal: `clawbridge
// switch` and `clawbridge use` go through the running daemon, which
// applies the change at once as it does for the tray, or write the config
// file themselves when no daemon runs (it reads them when it starts).

// switchLabels says what each switch does, for `clawbridge switch`.
var switchLabels = map[string]string{
	"translator":     "the API on clawbridge's listen address",
	"warmup":         "keep the aliases' models loaded in Ollama",
	"auto_repatch":   "re-apply the patch after OpenClaw/Clawdbot installs",
	"guard":          "keep the local key in Clawdbot's auth profiles",
	"notifications":  "desktop notifications",
	"gateway":        "run the Clawdbot gateway",
	"start_at_login": "start clawbridge at login (the login agent)",
}

// switchOn reads a switch from a daemon's state.
func switchOn(st *status.State, name string) bool {
	switch name {
	case "translator":
		return st.Translator.Enabled
	case "warmup":
		return st.Warmup
	case "auto_repatch":
		return st.Patcher.Enabled
	case "guard":
		return st.Guard.Enabled
	case "notifications":
		return st.Notifications
	case "gateway":
		return st.Gateway.Enabled
	case "start_at_login":
		return st.StartAtLogin
	}
	return false
}

// configSwitches is the state of the switches as the config file (and
// the login agent) have them, for when no daemon runs.
func configSwitches(cfg *config.Config, cfgPath string) *status.State {
	c := cfg.Clawbridge
	st := &status.State{Notifications: config.On(c.Notifications.Enabled), Warmup: cfg.WarmupOn(),
		StartAtLogin: newLoginItem(cfgPath).Installed()}
	st.Translator.Enabled = config.On(c.Translator.Enabled)
	st.Patcher.Enabled = config.On(c.Patcher.Enabled)
	st.Guard.Enabled = config.On(c.Guard.Enabled)
	st.Gateway.Enabled = c.Gateway.Enabled
	return st
}

// runSwitch lists the switches, or sets one.
func runSwitch(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("switch", stderr)
	cfgPath := fs.String("config", "", "config `file` (default: the user's)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: clawbridge switch [flags] [NAME on|off]")
		fmt.Fprintln(stderr, "switches: "+strings.Join(daemon.SwitchNames(), ", "))
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	path, err := configPathOrDefault(*cfgPath)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	switch fs.NArg() {
	case 0:
		return listSwitches(ctx, path, stdout)
	case 2:
	default:
		return &exitError{code: 2, msg: "name a switch and on or off, e.g. `clawbridge switch warmup on`; `clawbridge switch` lists them"}
	}
	name, value := fs.Arg(0), fs.Arg(1)
	if !slices.Contains(daemon.SwitchNames(), name) {
		return &exitError{code: 2, msg: fmt.Sprintf("no switch %q: the switches are %s", name, strings.Join(daemon.SwitchNames(), ", "))}
	}
	on, ok := map[string]bool{"on": true, "off": false}[value]
	if !ok {
		return &exitError{code: 2, msg: fmt.Sprintf("%q: say on or off", value)}
	}
	st, live, err := setSwitch(ctx, path, name, on)
	if err != nil {
		return err
	}
	if got := switchOn(st, name); got != on {
		return fmt.Errorf("%s is still %s after the change: see `clawbridge status`", name, onOff(got))
	}
	fmt.Fprintf(stdout, "%s is %s%s\n", name, onOff(on), appliedBy(live))
	return nil
}

// setSwitch sets a switch through the running daemon, or in the config
// file (or the login agent) when none runs, and returns the state after.
func setSwitch(ctx context.Context, cfgPath, name string, on bool) (st *status.State, live bool, err error) {
	st, live, err = throughDaemon(cfgPath, func(ac *admin.Client) (*status.State, error) { return ac.SetSwitch(ctx, name, on) })
	if live || err != nil {
		return st, live, err
	}
	if key, ok := daemon.SwitchKey(name); ok {
		if _, _, err := config.LoadOrCreate(cfgPath); err != nil {
			return nil, false, err
		}
		if err := config.SetSetting(cfgPath, key, on); err != nil {
			return nil, false, err
		}
	} else {
		login := newLoginItem(cfgPath)
		if on {
			err = login.Install()
		} else {
			err = login.Uninstall()
		}
		if err != nil {
			return nil, false, fmt.Errorf("start at login: %w", err)
		}
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, false, err
	}
	return configSwitches(cfg, cfgPath), false, nil
}

// listSwitches prints every switch with its state, the daemon's or the
// config's.
func listSwitches(ctx context.Context, cfgPath string, out io.Writer) error {
	st, live, err := throughDaemon(cfgPath, func(ac *admin.Client) (*status.State, error) { return ac.Status(ctx) })
	if err != nil {
		return err
	}
	if !live {
		cfg, _, err := config.LoadOrDefault(cfgPath)
		if err != nil {
			return err
		}
		st = configSwitches(cfg, cfgPath)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, name := range daemon.SwitchNames() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, onOff(switchOn(st, name)), switchLabels[name])
	}
	tw.Flush()
	if !live {
		fmt.Fprintf(out, "(no daemon running: as %s has them)\n", cfgPath)
	}
	return nil
}

// runUse points an alias at another model, as the tray's model menu does.
func runUse(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("use", stderr)
	cfgPath := fs.String("config", "", "config `file` (default: the user's)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: clawbridge use [flags] ALIAS MODEL")
		fmt.Fprintln(stderr, "e.g. clawbridge use claude-sonnet-4-5 qwen3:8b (the entry's provider prefix is kept)")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return &exitError{code: 2, msg: "name an alias and a model, e.g. `clawbridge use claude-sonnet-4-5 qwen3:8b`"}
	}
	alias, model := fs.Arg(0), fs.Arg(1)
	path, err := configPathOrDefault(*cfgPath)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, live, err := throughDaemon(path, func(ac *admin.Client) (*status.State, error) { return ac.SetAliasModel(ctx, alias, model) })
	switch {
	case err != nil:
		return err
	case !live:
		if err := config.SetAliasModel(path, alias, model); err != nil {
			return err
		}
	case aliasModel(st, alias) != model:
		return fmt.Errorf("the daemon did not apply it: see `clawbridge status`")
	}
	fmt.Fprintf(stdout, "%s now answers from %s%s\n", alias, model, appliedBy(live))
	return nil
}

// aliasModel is the model an alias answers from in a daemon's state.
func aliasModel(st *status.State, alias string) string {
	for _, a := range st.Aliases {
		if a.Name == alias {
			return a.Model
		}
	}
	return ""
}

// throughDaemon asks the daemon running with cfgPath's config; live is
// false, with no error, when none runs.
func throughDaemon(cfgPath string, ask func(*admin.Client) (*status.State, error)) (st *status.State, live bool, err error) {
	ac, err := connectDaemon(cfgPath)
	if err == nil {
		st, err = ask(ac)
	}
	switch {
	case errors.Is(err, admin.ErrNotRunning):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return st, true, nil
}

// connectDaemon reaches the daemon running with cfgPath's config.
func connectDaemon(cfgPath string) (*admin.Client, error) {
	dir, err := runtimeDir(cfgPath)
	if err != nil {
		return nil, err
	}
	return admin.Connect(dir)
}

// configPathOrDefault is cfgPath, or the user's config when empty.
func configPathOrDefault(cfgPath string) (string, error) {
	if cfgPath != "" {
		return cfgPath, nil
	}
	return config.DefaultPath()
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// appliedBy says who applied a change: the running daemon at once, or
// the config file for the next start.
func appliedBy(live bool) string {
	if live {
		return " (applied by the running daemon)"
	}
	return " (saved; no daemon is running: it applies at the next start)"
}
