package patcher

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// RouteKind is how an install is pointed at clawbridge.
type RouteKind int

const (
	// CatalogPatch rewrites the Anthropic base URLs of the catalog the app
	// loads (Clawdbot, Moltbot, OpenClaw up to 2026.5.27: pi-ai's).
	CatalogPatch RouteKind = iota + 1
	// ConfigRoute writes the documented models.providers.anthropic block,
	// with the daemon's key, into the app's config file (OpenClaw
	// 2026.5.28 and later, and any install whose catalog is missing).
	ConfigRoute
)

// String is the route as status and doctor name it.
func (k RouteKind) String() string {
	return nameOf(k, []string{CatalogPatch: "catalog patch", ConfigRoute: "config route"}, "RouteKind")
}

// Route is the route chosen for one install, and why.
type Route struct {
	Kind RouteKind
	// Reason says in one sentence why this route, for status and doctor.
	Reason string
	// Catalogs are the files a CatalogPatch keeps patched.
	Catalogs []Target
	// Config is the file a ConfigRoute edits (it may not exist yet).
	Config ConfigFile
}

// firstWithoutPiAI is the first OpenClaw release that depends on no
// pi-ai package (`npm view openclaw@2026.5.28 dependencies` lists only
// @earendil-works/pi-tui; 2026.5.27 still pins @earendil-works/pi-ai
// 0.75.5).
var firstWithoutPiAI = [3]int{2026, 5, 28}

// RouteFor chooses the route for in by its release line. Releases that
// load a pi-ai catalog get the catalog patch, on the pi-ai package Node.js
// resolves from the app (with only @earendil-works/pi-ai 0.75.5's catalog
// patched, OpenClaw 2026.5.27 sent its request to the patched URL).
// OpenClaw 2026.5.28 and later get the config route: they load no pi-ai,
// and no other file of theirs moves the endpoint (see Format); with the
// block and its apiKey, 2026.6.35 and 2026.9.6 sent their requests to the
// block's baseUrl with that key, although a Claude-CLI login was present
// and 2026.9.6 keeps its auth store in SQLite. An install whose pi-ai
// cannot be found also gets the config route.
func RouteFor(in Install, env Env) Route {
	cfg := ConfigFile{App: in.App, Path: ConfigPath(in.App, env)}
	if v, ok := parseVersion(in.Version); ok && in.App == "openclaw" && !versionLess(v, firstWithoutPiAI) {
		return Route{Kind: ConfigRoute, Config: cfg, Reason: fmt.Sprintf(
			"OpenClaw %s loads no pi-ai catalog (dropped in 2026.5.28): the documented models.providers.anthropic block carries clawbridge's base URL and key", in.Version)}
	}
	cats := in.Catalogs()
	if len(cats) == 0 {
		return Route{Kind: ConfigRoute, Config: cfg, Reason: fmt.Sprintf(
			"no pi-ai package found for %s %s (in %s, beside it or in %s): is it installed completely?", in.App, in.Version, in.RealDir, in.Root.NodeModules)}
	}
	var names []string
	for _, t := range cats {
		names = append(names, fmt.Sprintf("%s %s (%s)", t.Package, t.Version, t.Format))
	}
	return Route{Kind: CatalogPatch, Catalogs: cats, Reason: fmt.Sprintf(
		"%s %s loads its Anthropic models from %s", in.App, in.Version, strings.Join(names, ", "))}
}

// InstallStatus is where one install's route stands: what status, doctor
// and the tray show for it.
type InstallStatus struct {
	Install Install
	Route   Route
	// State is "patched" when the route points the app at clawbridge,
	// else "unpatched", "partial" (some catalogs) or "error".
	State string
	// Problem says, when State is not "patched", what is wrong, in terms
	// the user can act on. It never holds the key.
	Problem string
	// Catalogs are the statuses of a CatalogPatch's files.
	Catalogs []Status
	// Config is the config file's status for a ConfigRoute.
	Config ConfigStatus
}

// InspectInstall reports how far r (from RouteFor) is in place for in,
// without writing: every catalog patched to baseURL, or the config block
// pointing at baseURL with apiKey.
func InspectInstall(in Install, r Route, baseURL, apiKey string) InstallStatus {
	st := InstallStatus{Install: in, Route: r}
	switch r.Kind {
	case CatalogPatch:
		for _, t := range r.Catalogs {
			st.Catalogs = append(st.Catalogs, Inspect(t, baseURL))
		}
		st.State, st.Problem = catalogsState(st.Catalogs)
	case ConfigRoute:
		st.Config, st.State, st.Problem = configState(r.Config, baseURL, apiKey)
	default:
		st.State, st.Problem = "error", "no route chosen"
	}
	return st
}

// catalogsState sums up the catalogs of one install.
func catalogsState(sts []Status) (state, problem string) {
	if len(sts) == 0 {
		return "error", "no catalog to patch"
	}
	states := map[string]bool{}
	var problems []string
	for _, s := range sts {
		states[s.State()] = true
		switch {
		case s.Err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", s.Target.File, s.Err))
		case !s.IsPatched():
			problems = append(problems, fmt.Sprintf("%s: %d of %d Anthropic base URLs point at %s", s.Target.File, s.Patched, s.URLs, s.BaseURL))
		}
	}
	switch {
	case states["error"]:
		state = "error"
	case len(states) == 1:
		for s := range states {
			state = s
		}
	default:
		state = "partial"
	}
	return state, strings.Join(problems, "; ")
}

// configState reads the config route's file.
func configState(cf ConfigFile, baseURL, apiKey string) (ConfigStatus, string, string) {
	if cf.Path == "" {
		return ConfigStatus{}, "error", fmt.Sprintf("no config file for %s: no home directory and $%s_CONFIG_PATH unset", cf.App, strings.ToUpper(cf.App))
	}
	cs, err := InspectConfigWithKey(cf.Path, baseURL, apiKey)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return cs, "unpatched", fmt.Sprintf("%s does not exist yet", cf.Path)
	case err != nil:
		return cs, "error", err.Error()
	case cs.Patched:
		return cs, "patched", ""
	case cs.BaseURL == "":
		return cs, "unpatched", fmt.Sprintf("%s has no models.providers.anthropic block", cf.Path)
	case cs.BaseURL != strings.TrimRight(baseURL, "/") || cs.API != providerAPI:
		return cs, "unpatched", fmt.Sprintf("models.providers.anthropic in %s points at %q with api %q, not at %s with %s", cf.Path, cs.BaseURL, cs.API, baseURL, providerAPI)
	case !cs.HasAPIKey:
		return cs, "unpatched", fmt.Sprintf("models.providers.anthropic in %s has no apiKey: OpenClaw then fails with No API key found", cf.Path)
	case !cs.KeyMatches:
		return cs, "unpatched", fmt.Sprintf("models.providers.anthropic in %s has an apiKey that is not clawbridge's", cf.Path)
	default:
		return cs, "unpatched", fmt.Sprintf("models.providers.anthropic in %s has auth %q, not %q: an Anthropic profile in the app's auth store would win over its apiKey", cf.Path, cs.Auth, authAPIKey)
	}
}

// versionLess orders parsed versions.
func versionLess(a, b [3]int) bool { return slices.Compare(a[:], b[:]) < 0 }
