package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/config/settings"
	"github.com/clawbridge/clawbridge/patcher"
)

// runPatch routes every install once the way the daemon keeps it routed
// (pi-ai's model catalog pointed at the translator, or the documented
// provider block with the daemon's key in the config of OpenClaw releases
// without a catalog), checks it, or undoes it; with --config it writes
// the config route into the config files only.
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
		fmt.Fprintln(stderr, "Routes every Clawdbot/OpenClaw install found to clawbridge the way the daemon does:")
		fmt.Fprintln(stderr, "releases that load pi-ai's catalog (dist/models.generated.js) get its Anthropic")
		fmt.Fprintln(stderr, "base URLs pointed at clawbridge; OpenClaw 2026.5.28 and later get the provider")
		fmt.Fprintln(stderr, "block models.providers.anthropic, with clawbridge's key, in their config file.")
		fmt.Fprintln(stderr, "It prints where each one stands. The running daemon re-applies this; the URL,")
		fmt.Fprintln(stderr, "the key and the directories are the daemon's, from clawbridge's config.")
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
	key := settings.RouteKey(cfg)
	if *configRoute {
		return patchConfigs(stdout, *configFile, base, key, *check, *undo)
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

	home, _ := os.UserHomeDir()
	env := settings.PatcherEnv(home, os.Getenv, *global)
	targets, configs, err := routesIn(dirs, *global, env)
	if err != nil {
		fmt.Fprintf(stderr, "clawbridge patch: warning: %v\n", err)
	}
	if len(targets) == 0 && len(configs) == 0 {
		explainNoCatalog(stdout, dirs, *global, base)
		if *undo {
			return nil
		}
		return &exitError{code: 1, msg: "no pi-ai catalog found"}
	}
	var cerr error
	if len(configs) > 0 {
		cerr = patchConfigFiles(stdout, configs, base, key, *check, *undo)
		if len(targets) == 0 {
			return cerr
		}
	}
	if err := patchCatalogs(stdout, targets, base, *check, *undo); err != nil {
		return err
	}
	return cerr
}

// routesIn finds the installs under dirs (and the global ones) the way the
// daemon does and returns what routes them: the pi-ai catalogs to patch
// (those of the installs on the catalog patch, and any other found) and
// the config files of the installs on the config route.
func routesIn(dirs []string, global bool, env patcher.Env) ([]patcher.Target, []patcher.ConfigFile, error) {
	roots := patcher.ProjectRoots(dirs)
	if global {
		roots = append(roots, patcher.GlobalRootsFrom(env)...)
	}
	targets, err := patcher.DiscoverRoots(roots)
	installs, ierr := patcher.FindInstalls(roots)
	var configs []patcher.ConfigFile
	for _, in := range installs {
		r := patcher.RouteFor(in, env)
		for _, t := range r.Catalogs {
			if !slices.ContainsFunc(targets, func(o patcher.Target) bool { return o.File == t.File }) {
				targets = append(targets, t)
			}
		}
		if r.Kind == patcher.ConfigRoute && r.Config.Path != "" && !slices.Contains(configs, r.Config) {
			configs = append(configs, r.Config)
		}
	}
	return targets, configs, errors.Join(err, ierr)
}

// patchCatalogs patches, checks or undoes each catalog and prints the
// table.
func patchCatalogs(stdout io.Writer, targets []patcher.Target, base string, check, undo bool) error {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tPI-AI\tURLS\tCHANGED\tMODIFIED\tCATALOG")
	var problems []string
	bad, changed := 0, 0
	for _, t := range targets {
		var res patcher.Result
		var err error
		switch {
		case check:
			res.Status = patcher.Inspect(t, base)
			err = res.Status.Err
		case undo:
			res, err = patcher.Undo(t)
		default:
			res, err = patcher.Patch(t, base)
		}
		st := res.Status
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", t.File, err))
		}
		if err != nil || (!undo && !st.IsPatched()) {
			bad++
		}
		changed += res.Changed
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", st.State(), orDash(t.Version),
			fmt.Sprintf("%d/%d", st.Patched, st.URLs), changedCell(check, res.Changed), timeCell(st.ModTime), t.File)
	}
	tw.Flush()
	for _, p := range problems {
		fmt.Fprintf(stdout, "  error: %s\n", p)
	}
	if changed > 0 {
		fmt.Fprintln(stdout, "Restart Clawdbot if it is running: it reads the catalog when it starts.")
	}
	switch {
	case bad > 0 && check:
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d catalogs not patched; run 'clawbridge patch'", bad, len(targets))}
	case bad > 0 && undo:
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
	fmt.Fprintln(w, "No Clawdbot/OpenClaw install was found there either. OpenClaw 2026.5.28 and later")
	fmt.Fprintln(w, "ship no such catalog; name the install in clawbridge.patcher.dirs and clawbridge")
	fmt.Fprintln(w, "routes it through its config, or run 'clawbridge patch --config', which adds to")
	fmt.Fprintln(w, "~/.openclaw/openclaw.json (or ~/.clawdbot/clawdbot.json):")
	fmt.Fprintln(w, `  "models": { "providers": { "anthropic": {`)
	fmt.Fprintf(w, "      \"baseUrl\": %q, \"api\": \"anthropic-messages\",\n", base)
	fmt.Fprintln(w, `      "auth": "api-key", "apiKey": "<clawbridge's key>", "models": [] } } }`)
}

// patchConfigs is the --config route: file, or every config file that
// exists.
func patchConfigs(w io.Writer, file, base, key string, check, undo bool) error {
	var files []patcher.ConfigFile
	if file != "" {
		files = []patcher.ConfigFile{{Path: file}}
	} else {
		files = patcher.ConfigFiles()
	}
	if len(files) == 0 {
		return &exitError{code: 1, msg: "no config file found (looked for ~/.openclaw/openclaw.json, ~/.clawdbot/clawdbot.json, ~/.moltbot/moltbot.json and $OPENCLAW_CONFIG_PATH, $CLAWDBOT_CONFIG_PATH); pass -config-file"}
	}
	return patchConfigFiles(w, files, base, key, check, undo)
}

// patchConfigFiles writes, checks or removes the config route's provider
// block, with the daemon's key, in each file.
func patchConfigFiles(w io.Writer, files []patcher.ConfigFile, base, key string, check, undo bool) error {
	bad, changed := 0, false
	for _, cf := range files {
		f := cf.Path
		if check {
			st, err := patcher.InspectConfigWithKey(f, base, key)
			switch {
			case err != nil:
				bad++
				fmt.Fprintf(w, "%s: cannot read: %v\n", f, err)
			case st.Patched:
				fmt.Fprintf(w, "%s: patched (anthropic provider at %s), with clawbridge's key\n", f, st.BaseURL)
			default:
				bad++
				at := st.BaseURL
				if at == "" {
					at = "the default, Anthropic's API"
				}
				fmt.Fprintf(w, "%s: NOT patched (anthropic provider at %s%s)\n", f, at, keyNote(st))
			}
			continue
		}
		var res patcher.ConfigResult
		var err error
		if undo {
			res, err = patcher.UndoConfig(f, time.Now())
		} else {
			res, err = patcher.PatchConfigWithKey(f, base, key, time.Now())
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
			what := "models.providers.anthropic now points at " + base + ", with clawbridge's key"
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
			return &exitError{code: 1, msg: fmt.Sprintf("%d of %d config files not patched; run 'clawbridge patch'", bad, len(files))}
		}
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d config files failed", bad, len(files))}
	}
	return nil
}

// keyNote says what is wrong with the key of a block that points at the
// right place, never the key itself.
func keyNote(st patcher.ConfigStatus) string {
	switch {
	case st.BaseURL == "":
		return ""
	case !st.HasAPIKey:
		return "; no apiKey: OpenClaw fails with No API key found"
	case !st.KeyMatches:
		return "; its apiKey is not clawbridge's"
	case st.Auth != "api-key":
		return `; auth is not "api-key": a stored Anthropic profile would win`
	}
	return ""
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
