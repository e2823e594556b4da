package status

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The states of an install's route, as the patcher names them.
const (
	RouteRouted    = "patched"
	RouteUnpatched = "unpatched"
	RoutePartial   = "partial"
	RouteError     = "error"
)

// InstallState is one Clawdbot, Moltbot or OpenClaw install the patcher
// found, with the route chosen for it and where that route stands: one
// row of `clawbridge status`, one doctor check, one line of the menu.
type InstallState struct {
	App     string `json:"app"`     // npm package: clawdbot, moltbot, openclaw
	Version string `json:"version"` // the app's version
	Dir     string `json:"dir"`     // the package directory as found
	// Route is "catalog patch" or "config route"; Reason says why.
	Route  string `json:"route"`
	Reason string `json:"reason,omitempty"`
	// Config is the config route's file; Catalogs the catalog patch's.
	Config   string   `json:"config,omitempty"`
	Catalogs []string `json:"catalogs,omitempty"`
	// URLs and Patched sum the catalogs' Anthropic base URLs and those
	// pointing at clawbridge.
	URLs    int `json:"urls,omitempty"`
	Patched int `json:"patched,omitempty"`
	// State is RouteRouted, RouteUnpatched, RoutePartial or RouteError,
	// as patcher.InspectInstall found it; Problem says what is wrong and
	// Fix what to do, both empty when routed.
	State   string `json:"state"`
	Problem string `json:"problem,omitempty"`
	Fix     string `json:"fix,omitempty"`
	// Reapplied is when clawbridge last put the route back after the app
	// or an install undid it.
	Reapplied time.Time `json:"reapplied,omitzero"`
}

// Routed reports whether the app reaches clawbridge through its route.
func (i InstallState) Routed() bool { return i.State == RouteRouted }

// Name is the app and version as users know them: "OpenClaw 2026.9.6".
func (i InstallState) Name() string {
	names := map[string]string{"clawdbot": "Clawdbot", "moltbot": "Moltbot", "openclaw": "OpenClaw"}
	name, ok := names[i.App]
	if !ok {
		name = i.App
	}
	return name + " " + i.Version
}

// RouteDetail is the route with what it acts on: "config route
// (~/.openclaw/openclaw.json)" or "catalog patch (23/23 URLs)".
func (i InstallState) RouteDetail(home string) string {
	if i.Config != "" {
		return fmt.Sprintf("%s (%s)", i.Route, tildePath(i.Config, home))
	}
	if len(i.Catalogs) > 0 {
		return fmt.Sprintf("%s (%d/%d URLs)", i.Route, i.Patched, i.URLs)
	}
	return i.Route
}

// Owns reports whether file is one of the install's catalogs, so that a
// reader lists it once, under its install.
func (i InstallState) Owns(file string) bool { return slices.Contains(i.Catalogs, file) }

// tildePath shows p with home as "~".
func tildePath(p, home string) string {
	if home == "" || home == "/" {
		return p
	}
	if rel, err := filepath.Rel(home, p); err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.Join("~", rel)
	}
	return p
}
