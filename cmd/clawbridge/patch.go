package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/config/settings"
	"github.com/clawbridge/clawbridge/patcher"
)

// runPatch points pi-ai's model catalog at the translator once (the daemon
// keeps it pointed), checks it, or undoes it; with --config it uses the
// config-file route of OpenClaw releases that have no catalog.
func runPatch(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("patch", stderr)
	var dirs []string
	fs.Func("dir", "Clawdbot `directory` (a checkout or install with node_modules; repeatable) (default: the config's patcher.dirs, its gateway.dir and ~/clawdbot, ~/src/clawdbot and the like that exist)", func(v string) error {
		if strings.TrimSpace(v) == "" {
			return errors.New("empty directory")
		}
		dirs = append(dirs, v)
		return nil
	})
	var global *bool
	fs.BoolFunc("global", "also patch global installs of clawdbot/openclaw/moltbot (npm -g, pnpm -g, Homebrew) (default: the config's patcher.global, on unless set off)", func(v string) error {
		b, err := strconv.ParseBool(v)
		global = &b
		return err
	})
	baseURL := fs.String("base-url", "", "`URL` of the translator, without /v1 (pi-ai adds it) (default: the config's patcher.base_url, else its listen address, where the running daemon keeps it)")
	cbConfig := fs.String("clawbridge-config", "", "clawbridge config `file` whose patcher settings and listen address to use, as the daemon does (default: the user's; none yet means the defaults)")
	check := fs.Bool("check", false, "only report; exit 1 if anything is not patched")
	undo := fs.Bool("undo", false, "restore the original Anthropic URLs (or, with --config, remove the provider block)")
	configRoute := fs.Bool("config", false, "use the config route: write models.providers.anthropic into the JSON5 config file")
	configFile := fs.String("config-file", "", "config `file` for --config (default: whichever of ~/.openclaw/openclaw.json, ~/.clawdbot/clawdbot.json, ~/.moltbot/moltbot.json exist)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: clawbridge patch [-dir DIR ...] [-global=false] [-base-url URL] [-clawbridge-config FILE] [--check | --undo]")
		fmt.Fprintln(stderr, "       clawbridge patch --config [-config-file FILE] [-base-url URL] [-clawbridge-config FILE] [--check | --undo]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Points the Anthropic models of pi-ai's catalog (dist/models.generated.js, where")
		fmt.Fprintln(stderr, "Clawdbot takes them from) at clawbridge, in every installed pi-ai version, and")
		fmt.Fprintln(stderr, "prints where each one stands. The running daemon re-applies this after installs;")
		fmt.Fprintln(stderr, "the URL and the directories are the daemon's, from clawbridge's config.")
		fmt.Fprintln(stderr, "Newer OpenClaw has no such catalog: use --config there.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *check && *undo {
		return &exitError{code: 2, msg: "use either --check or --undo, not both"}
	}
	if *configFile != "" && !*configRoute {
		return &exitError{code: 2, msg: "-config-file needs --config"}
	}
	// Without flags, patch where and what the daemon keeps patched: a
	// one-off patch elsewhere would only be undone by it.
	cfg, err := toolConfig(*cbConfig, stderr, "patch")
	if err != nil {
		return err
	}
	base := *baseURL
	if base == "" {
		base = daemonPatchBase(cfg, *cbConfig)
	}
	if !*undo {
		if base, err = patcher.CheckBaseURL(base); err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
	}
	if *configRoute {
		return patchConfigs(stdout, *configFile, base, *check, *undo)
	}
	for _, d := range dirs {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return &exitError{code: 2, msg: fmt.Sprintf("-dir %s: no such directory", d)}
		}
	}
	if len(dirs) == 0 {
		home, _ := os.UserHomeDir()
		dirs = settings.ClawdbotDirs(cfg, home)
	}
	if global == nil {
		on := config.On(cfg.Clawbridge.Patcher.Global)
		global = &on
	}

	targets, err := patcher.Discover(dirs, *global)
	if err != nil {
		fmt.Fprintf(stderr, "clawbridge patch: warning: %v\n", err)
	}
	if len(targets) == 0 {
		explainNoCatalog(stdout, dirs, *global, base)
		if *undo {
			return nil
		}
		return &exitError{code: 1, msg: "no pi-ai catalog found"}
	}

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tPI-AI\tURLS\tCHANGED\tMODIFIED\tCATALOG")
	var problems []string
	bad, changed := 0, 0
	for _, t := range targets {
		var res patcher.Result
		var err error
		switch {
		case *check:
			res.Status = patcher.Inspect(t, base)
			err = res.Status.Err
		case *undo:
			res, err = patcher.Undo(t)
		default:
			res, err = patcher.Patch(t, base)
		}
		st := res.Status
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", t.File, err))
		}
		if err != nil || (!*undo && !st.IsPatched()) {
			bad++
		}
		changed += res.Changed
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", st.State(), orDash(t.Version),
			fmt.Sprintf("%d/%d", st.Patched, st.URLs), changedCell(*check, res.Changed), timeCell(st.ModTime), t.File)
	}
	tw.Flush()
	for _, p := range problems {
		fmt.Fprintf(stdout, "  error: %s\n", p)
	}
	if changed > 0 {
		fmt.Fprintln(stdout, "Restart Clawdbot if it is running: it reads the catalog when it starts.")
	}
	switch {
	case bad > 0 && *check:
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d catalogs not patched; run 'clawbridge patch'", bad, len(targets))}
	case bad > 0 && *undo:
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d catalogs could not be restored", bad, len(targets))}
	case bad > 0:
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d catalogs could not be patched", bad, len(targets))}
	}
	return nil
}

// daemonPatchBase is where the daemon of the config at cfgPath points
// pi-ai: the running daemon's own answer when it is up (it knows the
// address it bound, also one set by run --listen), else what it would
// derive from cfg.
func daemonPatchBase(cfg *config.Config, cfgPath string) string {
	if dir, err := runtimeDir(cfgPath); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if st, err := admin.LiveState(ctx, dir); err == nil && st.Patcher.BaseURL != "" {
			return st.Patcher.BaseURL
		}
	}
	return settings.PatchBase(cfg, "")
}

// explainNoCatalog says where it looked and what to do instead.
func explainNoCatalog(w io.Writer, dirs []string, global bool, base string) {
	fmt.Fprintln(w, "No pi-ai model catalog (@mariozechner/pi-ai/dist/models.generated.js) found.")
	if len(dirs) > 0 {
		fmt.Fprintf(w, "Looked in: %s", strings.Join(dirs, ", "))
		if global {
			fmt.Fprint(w, " and the global installs")
		}
		fmt.Fprintln(w)
	} else if global {
		fmt.Fprintln(w, "Looked in the global installs (npm -g, pnpm -g, Homebrew); pass -dir for a Clawdbot")
		fmt.Fprintln(w, "checkout, or name it in clawbridge.patcher.dirs.")
	} else {
		fmt.Fprintln(w, "Nothing to look in: pass -dir for a Clawdbot checkout (or name it in")
		fmt.Fprintln(w, "clawbridge.patcher.dirs), or leave -global on.")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "OpenClaw 2026.6 and later ship no such catalog. Point them at clawbridge through")
	fmt.Fprintln(w, "their config instead, with 'clawbridge patch --config', which adds to")
	fmt.Fprintln(w, "~/.openclaw/openclaw.json (or ~/.clawdbot/clawdbot.json):")
	fmt.Fprintln(w, `  "models": { "providers": { "anthropic": {`)
	fmt.Fprintf(w, "      \"baseUrl\": %q, \"api\": \"anthropic-messages\", \"models\": [] } } }\n", base)
}

// patchConfigs is the --config route.
func patchConfigs(w io.Writer, file, base string, check, undo bool) error {
	var files []string
	if file != "" {
		files = []string{file}
	} else {
		for _, f := range patcher.ConfigFiles() {
			files = append(files, f.Path)
		}
	}
	if len(files) == 0 {
		return &exitError{code: 1, msg: "no config file found (looked for ~/.openclaw/openclaw.json, ~/.clawdbot/clawdbot.json, ~/.moltbot/moltbot.json and $OPENCLAW_CONFIG_PATH, $CLAWDBOT_CONFIG_PATH); pass -config-file"}
	}
	bad, changed := 0, false
	for _, f := range files {
		if check {
			st, err := patcher.InspectConfig(f, base)
			switch {
			case err != nil:
				bad++
				fmt.Fprintf(w, "%s: cannot read: %v\n", f, err)
			case st.Patched:
				fmt.Fprintf(w, "%s: patched (anthropic provider at %s)\n", f, st.BaseURL)
			default:
				bad++
				at := st.BaseURL
				if at == "" {
					at = "the default, Anthropic's API"
				}
				fmt.Fprintf(w, "%s: NOT patched (anthropic provider at %s)\n", f, at)
			}
			continue
		}
		var res patcher.ConfigResult
		var err error
		if undo {
			res, err = patcher.UndoConfig(f, time.Now())
		} else {
			res, err = patcher.PatchConfig(f, base, time.Now())
		}
		switch {
		case err != nil:
			bad++
			fmt.Fprintf(w, "%s: FAILED: %v\n", f, err)
		case !res.Changed && undo:
			fmt.Fprintf(w, "%s: no clawbridge provider block; nothing to undo\n", f)
		case !res.Changed:
			fmt.Fprintf(w, "%s: already points at %s\n", f, base)
		default:
			changed = true
			what := "models.providers.anthropic now points at " + base
			if undo {
				what = "removed the models.providers.anthropic block"
			}
			fmt.Fprintf(w, "%s: %s\n", f, what)
			if res.Backup != "" {
				fmt.Fprintf(w, "  backup: %s\n", res.Backup)
			}
			if !res.Preserved {
				fmt.Fprintln(w, "  note: the file uses JSON5 syntax that cannot be edited in place, so it was")
				fmt.Fprintln(w, "  rewritten as plain JSON: comments and key order are gone (see the backup).")
			}
		}
	}
	if changed {
		fmt.Fprintln(w, "Restart Clawdbot/OpenClaw if it is running so that it reads the new config.")
	}
	if bad > 0 {
		if check {
			return &exitError{code: 1, msg: fmt.Sprintf("%d of %d config files not patched; run 'clawbridge patch --config'", bad, len(files))}
		}
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d config files failed", bad, len(files))}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func changedCell(check bool, n int) string {
	if check {
		return "-"
	}
	return fmt.Sprint(n)
}

func timeCell(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
