package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config/settings"
	"github.com/clawbridge/clawbridge/daemon/notify"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/patcher"
	"github.com/clawbridge/clawbridge/patcher/guard"
)

// events turns what the keeper and the guard report into the state and
// into notifications. After an event it looks at the files themselves
// (refresh), so the state never lags behind a component's bookkeeping.
type events struct {
	live  *live
	parts *parts
	kick  chan struct{} // asks run to look again

	// mu guards the patch bookkeeping below. It is a leaf: nothing else
	// is locked while it is held.
	mu        sync.Mutex
	targets   map[string]patcher.Target // by catalog file
	reapplied map[string]time.Time      // by catalog or config file
	targetErr map[string]string
	// routed names the install of each config route's file ("OpenClaw
	// 2026.9.6"), for its notifications, as of the last refresh.
	routed map[string]string
}

func newEvents(l *live, p *parts) *events {
	return &events{live: l, parts: p, kick: make(chan struct{}, 1), targets: map[string]patcher.Target{},
		reapplied: map[string]time.Time{}, targetErr: map[string]string{}, routed: map[string]string{}}
}

// soon asks run to look again; it never blocks.
func (e *events) soon() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// run recomputes the patch and guard parts of the state whenever asked,
// until ctx ends.
func (e *events) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.kick:
		}
		// Let a burst of events settle into one look.
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
		e.refreshPatches()
		e.refreshGuard()
	}
}

func (e *events) refreshPatches() {
	rp := e.parts.running()
	k, pst := rp.keeper, rp.patcher
	if k == nil {
		return
	}
	installs := e.refreshInstalls(k, pst, rp.key)
	e.parts.setJSONStates(settings.JSONStateDirs(installs, e.parts.opts.Home, e.parts.opts.Getenv))
	e.mu.Lock()
	for _, s := range k.Statuses() {
		e.targets[s.Target.File] = s.Target
	}
	targets := make([]patcher.Target, 0, len(e.targets))
	for _, t := range e.targets {
		targets = append(targets, t)
	}
	e.mu.Unlock()
	var out []status.TargetState
	for _, t := range targets {
		s := patcher.Inspect(t, pst.BaseURL)
		if errors.Is(s.Err, os.ErrNotExist) {
			continue
		}
		ts := targetState(s)
		e.mu.Lock()
		ts.Reapplied = e.reapplied[t.File]
		if ts.Err == "" {
			ts.Err = e.targetErr[t.File]
		}
		e.mu.Unlock()
		out = append(out, ts)
	}
	slices.SortFunc(out, func(a, b status.TargetState) int { return strings.Compare(a.File, b.File) })
	e.live.update(func(st *status.State) { st.Patcher.Targets, st.Patcher.Installs = out, installs })
}

// refreshInstalls inspects the route of every install the keeper found,
// on disk now, so that "routed" is shown only while it is true.
func (e *events) refreshInstalls(k *patcher.Keeper, pst status.PatcherState, key string) []status.InstallState {
	found := k.Installs()
	out := make([]status.InstallState, 0, len(found))
	routed := map[string]string{}
	for _, f := range found {
		is := settings.InstallState(patcher.InspectInstall(f.Install, f.Route, pst.BaseURL, key), pst.Enabled)
		if is.Config != "" {
			routed[is.Config] = is.Name()
		}
		out = append(out, is)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.routed = routed
	for i := range out {
		for _, f := range append([]string{out[i].Config}, out[i].Catalogs...) {
			if t := e.reapplied[f]; t.After(out[i].Reapplied) {
				out[i].Reapplied = t
			}
		}
	}
	return out
}

// targetState is what the state shows of a catalog the patcher looked at.
func targetState(s patcher.Status) status.TargetState {
	ts := status.TargetState{File: s.Target.File, Version: s.Target.Version, URLs: s.URLs, Patched: s.Patched}
	if s.Err != nil {
		ts.Err = s.Err.Error()
	}
	return ts
}

func (e *events) refreshGuard() {
	g := e.parts.running().guard
	if g == nil {
		return
	}
	statuses, _ := g.Check()
	var dirs []status.GuardDirState
	var last time.Time
	for _, s := range statuses {
		ds := status.GuardDirState{Path: s.Path, Missing: s.Missing, Held: s.Held, Using: s.Using, Problems: s.Problems,
			Unread: s.SQLite}
		if s.Err != nil {
			ds.Err = s.Err.Error()
		}
		if s.LastRestore.After(last) {
			last = s.LastRestore
		}
		dirs = append(dirs, ds)
	}
	e.live.update(func(st *status.State) {
		st.Guard.Dirs = dirs
		if last.After(st.Guard.LastRestore) {
			st.Guard.LastRestore = last
		}
	})
}

// onPatch is the keeper's OnEvent.
func (e *events) onPatch(ev patcher.Event) {
	file := ev.Target.File
	e.mu.Lock()
	switch ev.Kind {
	case patcher.Removed:
		delete(e.targets, file)
		delete(e.targetErr, file)
	case patcher.Failed:
		e.targets[file] = ev.Target
		e.targetErr[file] = ev.Err.Error()
	default:
		e.targets[file] = ev.Target
		delete(e.targetErr, file)
	}
	if ev.Kind == patcher.Repatched {
		e.reapplied[file] = ev.Time
	}
	e.mu.Unlock()
	switch ev.Kind {
	case patcher.Repatched:
		e.live.notifier.Notify(notify.Message{Key: "repatch:" + file, Title: "clawbridge re-applied the pi-ai patch",
			Body: fmt.Sprintf("An install restored pi-ai %s's Anthropic URLs; %d point at clawbridge again.", ev.Target.Version, ev.URLs)})
	case patcher.Unpatched:
		e.live.notifier.Notify(notify.Message{Key: "unpatched:" + file, Title: "Clawdbot talks to Anthropic again",
			Body: fmt.Sprintf("pi-ai %s is not patched and re-patching is off; turn it on or run clawbridge patch.", ev.Target.Version)})
	case patcher.Failed:
		e.live.problem("patch", "The pi-ai patch failed", ev.String())
	}
	e.soon()
}

// onRoute is the keeper's OnConfigEvent: the config route of an install
// written, verified, or failing. A re-write after the app rewrote its
// config is news (once per file a minute, through the notifier's
// de-duplication); the rest only refreshes the state.
func (e *events) onRoute(ev patcher.Event) {
	file := ev.Config
	e.mu.Lock()
	if ev.Kind == patcher.Repatched {
		e.reapplied[file] = ev.Time
	}
	name := e.routed[file]
	e.mu.Unlock()
	if name == "" {
		name = "the app of " + file
	}
	switch ev.Kind {
	case patcher.Repatched:
		e.live.notifier.Notify(notify.Message{Key: "reroute:" + file, Title: "Re-routed " + name + ": its config points at clawbridge again",
			Body: "The app rewrote " + file + " without clawbridge's provider block; clawbridge wrote it back."})
	case patcher.Unpatched:
		e.live.notifier.Notify(notify.Message{Key: "unrouted:" + file, Title: name + " is not routed to clawbridge",
			Body: file + " has no clawbridge provider block and re-patching is off; turn it on or run clawbridge patch."})
	case patcher.Failed:
		e.live.problem("route", "The config route failed", ev.String())
	}
	e.soon()
}

// onGuard is the guard's OnEvent.
func (e *events) onGuard(ev guard.Event) {
	switch ev.Kind {
	case guard.Restored:
		e.live.update(func(st *status.State) { st.Guard.LastRestore = ev.Time })
		e.live.notifier.Notify(notify.Message{Key: "restore:" + ev.Path, Title: "clawbridge restored Clawdbot's local key",
			Body: "Claude-CLI sync had taken over " + ev.Path + "; Clawdbot uses the local model again."})
	case guard.Recovered:
		e.live.update(func(st *status.State) { st.Guard.LastRestore = ev.Time })
		e.live.notifier.Notify(notify.Message{Key: "recover:" + ev.Path, Title: "clawbridge recovered Clawdbot's auth profiles",
			Body: "Profiles lost from " + ev.Path + " were put back; nothing was deleted."})
	case guard.Created:
		e.live.notifier.Notify(notify.Message{Key: "create:" + ev.Path, Title: "clawbridge gave the app its local key",
			Body: "Created " + ev.Path + " holding the local key, so the app's first turn goes to clawbridge."})
	case guard.Removed:
		e.live.notifier.Notify(notify.Message{Key: "removed:" + ev.Path, Title: "clawbridge removed its old auth store",
			Body: strings.Join(ev.Changes, "; ")})
	case guard.LegacyStore:
		e.live.problem("guard", "OpenClaw refuses a legacy auth store", fmt.Sprintf("%s: %s", ev.Path, strings.Join(ev.Changes, "; ")))
	case guard.Failed:
		e.live.problem("guard", "The auth guard could not check a file", fmt.Sprintf("%s: %v", ev.Path, ev.Err))
	}
	e.soon()
}
