package patcher

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/patcher/fswatch"
)

// EventKind says what a Keeper did or saw for one target.
type EventKind int

const (
	// Patched: the keeper rewrote the catalog for the first time.
	Patched EventKind = iota + 1
	// Repatched: the catalog had been patched, something (an install)
	// restored the original, and the keeper patched it again.
	Repatched
	// Verified: a catalog first seen already patched.
	Verified
	// Unpatched: a catalog found unpatched while the keeper only reports
	// (KeeperOptions.ReportOnly, auto-repatch off).
	Unpatched
	// Skipped: the catalog is not complete right now, typically half
	// written during an install; the keeper looks again after the next
	// change.
	Skipped
	// Failed: the catalog could not be patched (permissions, a symlink
	// leading outside the package, ...).
	Failed
	// Removed: the catalog is gone (uninstalled, node_modules deleted).
	Removed
)

// String is the kind as one lower-case word ("patched", "skipped", ...),
// for %v in state keys and test failures; unknown values print as
// EventKind(n) rather than an empty string.
func (k EventKind) String() string { return nameOf(k, eventKindNames[:], "EventKind") }

var eventKindNames = [...]string{
	Patched: "patched", Repatched: "repatched", Verified: "verified",
	Unpatched: "unpatched", Skipped: "skipped", Failed: "failed", Removed: "removed",
}

// Event is one thing a Keeper reports, for logs, the tray and
// notifications ("re-patched 21 URLs in pi-ai 0.49.3").
type Event struct {
	Kind EventKind
	// Target is the catalog, for the catalog patch; zero for the config
	// route, where Config is the config file instead.
	Target Target
	Config string
	// URLs is how many base URLs were rewritten (Patched, Repatched) or
	// how many Anthropic base URLs the catalog has (Verified, Unpatched).
	URLs int
	// Err says why, for Skipped and Failed.
	Err  error
	Time time.Time
}

// String is a one-line human description.
func (e Event) String() string {
	if e.Config != "" {
		return e.configString()
	}
	what := fmt.Sprintf("%s %s (%s)", e.Target.Package, e.Target.Version, e.Target.File)
	switch e.Kind {
	case Patched:
		return fmt.Sprintf("patched %d URLs in %s", e.URLs, what)
	case Repatched:
		return fmt.Sprintf("re-patched %d URLs in %s", e.URLs, what)
	case Verified:
		return fmt.Sprintf("%s already patched (%d URLs)", what, e.URLs)
	case Unpatched:
		return fmt.Sprintf("%s is not patched (%d Anthropic URLs)", what, e.URLs)
	case Skipped:
		return fmt.Sprintf("skipped %s for now: %v", what, e.Err)
	case Failed:
		return fmt.Sprintf("could not patch %s: %v", what, e.Err)
	case Removed:
		return fmt.Sprintf("%s is gone", what)
	}
	return fmt.Sprintf("%v %s", e.Kind, what)
}

// configString is String for a config route event.
func (e Event) configString() string {
	switch e.Kind {
	case Patched:
		return "wrote the clawbridge provider block into " + e.Config
	case Repatched:
		return "wrote the clawbridge provider block into " + e.Config + " again"
	case Verified:
		return e.Config + " already routes anthropic to clawbridge"
	case Unpatched:
		return e.Config + " does not route anthropic to clawbridge"
	case Skipped:
		return fmt.Sprintf("skipped %s for now: %v", e.Config, e.Err)
	case Failed:
		return fmt.Sprintf("could not write the provider block into %s: %v", e.Config, e.Err)
	}
	return fmt.Sprintf("%v %s", e.Kind, e.Config)
}

// KeeperOptions configure a Keeper.
type KeeperOptions struct {
	// Dirs are the Clawdbot directories to keep patched (see Discover).
	Dirs []string
	// IncludeGlobal adds global installs of Clawdbot.
	IncludeGlobal bool
	// BaseURL is where to point pi-ai; see CheckBaseURL.
	BaseURL string
	// ReportOnly watches and reports Unpatched instead of writing: the
	// setting for auto-repatch turned off.
	ReportOnly bool
	// APIKey is the daemon's key. Set, the keeper also keeps the config
	// route (PatchConfigWithKey) of the installs RouteFor sends there,
	// writing it again after the app rewrites its config; empty, it only
	// reports their state. It is never logged.
	APIKey string
	// Env locates global installs and config files; nil means this
	// machine's (MachineEnv, which runs npm and pnpm).
	Env *Env
	// Quiet is how long a directory must be free of events before the
	// keeper looks (default 300ms).
	Quiet time.Duration
	// Rescan is how often to look even without events, in case some were
	// lost (default 5 minutes; negative disables).
	Rescan time.Duration
	// OnEvent receives every catalog event, on the keeper's goroutine:
	// return quickly. Nil discards them (they are logged either way).
	OnEvent func(Event)
	// OnConfigEvent receives the config route's events (Event.Config set,
	// Target zero), likewise; apart from OnEvent so that a caller keyed on
	// catalogs is not handed something else.
	OnConfigEvent func(Event)
	// ContextWindows, when set, has the config route also list each
	// Claude model the app's config names with the context window of the
	// local model behind it (SyncConfigModels). Call Check when its
	// answers change.
	ContextWindows ContextWindows
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Keeper keeps every target patched: it watches the Clawdbot directories,
// their node_modules, node_modules/.pnpm and the directories leading to
// each catalog, and after every burst of changes discovers the targets
// again and patches whatever an install restored. It copes with
// node_modules (or the Clawdbot directory itself) not existing yet, being
// deleted and being re-created.
type Keeper struct {
	opts KeeperOptions
	base string
	log  *slog.Logger
	kick chan struct{}
	// now carries PatchNow's requests to Run, each with the channel that
	// takes the pass's statuses.
	now chan chan []Status
	// started is closed when Run first starts, so that a PatchNow racing
	// the daemon's start waits for it instead of failing.
	started   chan struct{}
	startOnce sync.Once

	cfg *configKeeper
	env Env

	mu       sync.Mutex
	statuses []Status
	installs []InstallStatus
	dirs     []string
	searched []Root // the roots of the last look
	// stopped is closed when the current (or last) Run returns.
	stopped chan struct{}

	// Owned by Run's goroutine, keyed by catalog path.
	known   map[string]known
	patched map[string]bool // seen patched during this run
	watched map[string]bool // directories handed to the watcher
	// discoverErr is the last discovery problem logged, so that one
	// unreadable directory is not logged on every look.
	discoverErr string
}

// known is a target found on the last look and the last state reported.
type known struct {
	target Target
	state  string
}

// NewKeeper checks opts and returns a Keeper ready to Run.
func NewKeeper(opts KeeperOptions) (*Keeper, error) {
	base, err := CheckBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	if opts.Quiet <= 0 {
		opts.Quiet = 300 * time.Millisecond
	}
	if opts.Rescan == 0 {
		opts.Rescan = 5 * time.Minute
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	ck := newConfigKeeper(base, opts.APIKey, opts.ReportOnly)
	ck.windows = opts.ContextWindows
	return &Keeper{
		opts:    opts,
		base:    base,
		cfg:     ck,
		log:     log,
		kick:    make(chan struct{}, 1),
		now:     make(chan chan []Status),
		started: make(chan struct{}),
		known:   map[string]known{},
		patched: map[string]bool{},
		watched: map[string]bool{},
	}, nil
}

// Check asks for a look at every target now (for a "re-patch now" menu
// item); it returns at once.
func (k *Keeper) Check() {
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

// ErrNotRunning is PatchNow's answer when Run has returned: nothing would
// serve the request.
var ErrNotRunning = errors.New("patcher: the keeper is not running")

// PatchNow has Run look at every target now, patching what needs it (or
// only reporting, with ReportOnly), and returns the statuses that look
// ended with: unlike Check, the caller learns whether it worked. Targets
// that vanished during the look are left out. Before Run first starts it
// waits for it; once Run has returned it fails with ErrNotRunning.
func (k *Keeper) PatchNow(ctx context.Context) ([]Status, error) {
	select {
	case <-k.started:
	case <-ctx.Done():
		return nil, fmt.Errorf("patcher: waiting for the keeper to start: %w", ctx.Err())
	}
	k.mu.Lock()
	stopped := k.stopped
	k.mu.Unlock()
	reply := make(chan []Status, 1)
	select {
	case k.now <- reply:
	case <-stopped:
		return nil, ErrNotRunning
	case <-ctx.Done():
		return nil, fmt.Errorf("patcher: waiting for the keeper: %w", ctx.Err())
	}
	select {
	case st := <-reply:
		return st, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("patcher: waiting for the look to end: %w", ctx.Err())
	}
}

// Roots returns the places the last look searched: the Clawdbot
// directories and, with IncludeGlobal, the global node_modules found; for
// telling the user where no pi-ai was found.
func (k *Keeper) Roots() []Root {
	return snapshot(&k.mu, &k.searched)
}

// Statuses returns every target's status as of the last look.
func (k *Keeper) Statuses() []Status {
	return snapshot(&k.mu, &k.statuses)
}

// Installs returns every install found on the last look, with its route
// and that route's state: what status, doctor and the tray show.
func (k *Keeper) Installs() []InstallStatus {
	return snapshot(&k.mu, &k.installs)
}

// WatchedDirs returns the directories the keeper watches, sorted: the
// roots, their node_modules and .pnpm, and the directories leading to each
// catalog.
func (k *Keeper) WatchedDirs() []string {
	return snapshot(&k.mu, &k.dirs)
}

// snapshot copies *s under mu, so a caller's copy of what the keeper's
// last look found cannot race with the next look.
func snapshot[T any](mu *sync.Mutex, s *[]T) []T {
	mu.Lock()
	defer mu.Unlock()
	return append([]T(nil), *s...)
}

// Run patches every target, then keeps them patched until ctx is done.
// It returns an error only if watching fails for good.
func (k *Keeper) Run(ctx context.Context) error {
	stopped := make(chan struct{})
	k.mu.Lock()
	k.stopped = stopped
	k.mu.Unlock()
	defer close(stopped)
	k.startOnce.Do(func() { close(k.started) })

	w, err := fswatch.New(k.opts.Quiet, func(string) { k.Check() })
	if err != nil {
		return fmt.Errorf("patcher: %w", err)
	}
	w.SetErrorHandler(func(err error) { k.log.Warn("patcher: watch", "err", err) })
	k.watched = map[string]bool{} // a new watcher watches nothing yet
	watchCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(watchCtx) }()
	defer func() {
		stop()
		<-done
	}()

	roots := k.lookup()
	k.pass(w, roots)
	var rescan <-chan time.Time
	if k.opts.Rescan > 0 {
		t := time.NewTicker(k.opts.Rescan)
		defer t.Stop()
		rescan = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-done:
			done <- err // for the deferred wait
			if ctx.Err() != nil {
				return nil // stopped because ctx is done
			}
			if err == nil {
				err = errors.New("stopped")
			}
			return fmt.Errorf("patcher: watcher: %w", err)
		case <-k.kick:
			k.pass(w, roots)
		case reply := <-k.now:
			reply <- k.pass(w, roots)
		case <-rescan:
			roots = k.lookup() // a package manager may have been installed since
			k.pass(w, roots)
		}
	}
}

// lookup works out the environment and the roots to search.
func (k *Keeper) lookup() []Root {
	switch {
	case k.opts.Env != nil:
		k.env = *k.opts.Env
	case k.opts.IncludeGlobal:
		k.env = MachineEnv()
	default: // no need to ask npm and pnpm
		home, _ := os.UserHomeDir()
		k.env = Env{Home: home, GOOS: runtime.GOOS, Getenv: os.Getenv}
	}
	roots := ProjectRoots(k.opts.Dirs)
	if k.opts.IncludeGlobal {
		roots = append(roots, GlobalRootsFrom(k.env)...)
	}
	return roots
}

// pass discovers the targets, adjusts the watches, brings every target
// to the wanted state and returns their statuses.
func (k *Keeper) pass(w *fswatch.Watcher, roots []Root) []Status {
	targets, cands, err := discover(roots)
	ins, ierr := FindInstalls(roots)
	if err = errors.Join(err, ierr); err != nil && fmt.Sprint(err) != k.discoverErr {
		k.log.Warn("patcher: discover", "err", err)
		k.discoverErr = fmt.Sprint(err)
	} else if err == nil {
		k.discoverErr = ""
	}
	routes, targets, configs := routeAll(ins, k.env, targets)
	if k.watch(w, roots, cands, targets, configs) {
		// Whatever happened in the new directories before their watches
		// were in place produced no event: look once more.
		k.Check()
	}
	statuses := make([]Status, 0, len(targets))
	seen := map[string]bool{}
	for _, t := range targets {
		st, ok := k.keep(t)
		if !ok {
			continue // gone since discovery: an install is removing it
		}
		seen[t.File] = true
		statuses = append(statuses, st)
	}
	for file, kn := range k.known {
		if !seen[file] {
			delete(k.known, file)
			k.emit(Event{Kind: Removed, Target: kn.target})
		}
	}
	for _, cf := range configs {
		if e, ok := k.cfg.keep(cf, time.Now()); ok {
			k.emit(e)
		}
	}
	installs := make([]InstallStatus, len(ins))
	for i, in := range ins {
		installs[i] = InspectInstall(in, routes[i], k.base, k.opts.APIKey)
	}
	k.mu.Lock()
	k.statuses = statuses
	k.installs = installs
	k.searched = append([]Root(nil), roots...)
	k.mu.Unlock()
	return append([]Status(nil), statuses...)
}

// keep brings one target to the wanted state and reports what it did. ok
// is false when the target vanished since discovery.
func (k *Keeper) keep(t Target) (st Status, ok bool) {
	st = Inspect(t, k.base)
	switch {
	case errors.Is(st.Err, fs.ErrNotExist):
		return st, false
	case st.Err != nil:
		k.note(Event{Kind: failKind(st.Err), Target: t, Err: st.Err})
		return st, true
	case st.IsPatched():
		k.patched[t.File] = true
		k.note(Event{Kind: Verified, Target: t, URLs: st.URLs})
		return st, true
	case k.opts.ReportOnly:
		k.note(Event{Kind: Unpatched, Target: t, URLs: st.URLs})
		return st, true
	}
	res, err := Patch(t, k.base)
	if errors.Is(err, fs.ErrNotExist) {
		return res.Status, false
	}
	if err != nil {
		k.note(Event{Kind: failKind(err), Target: t, Err: err})
		return res.Status, true
	}
	kind := Patched
	if k.patched[t.File] {
		kind = Repatched
	}
	k.patched[t.File] = true
	k.emit(Event{Kind: kind, Target: t, URLs: res.Changed})
	// The next look will find it patched: that is no news.
	k.known[t.File] = known{target: t, state: stateKey(Event{Kind: Verified, URLs: res.Status.URLs})}
	return res.Status, true
}

// failKind tells a passing state (an install in progress) from a failure.
func failKind(err error) EventKind {
	if errors.Is(err, ErrNotCatalog) || errors.Is(err, errReplaced) {
		return Skipped
	}
	return Failed
}

// note emits e unless it repeats the last state reported for its target.
func (k *Keeper) note(e Event) {
	key := stateKey(e)
	if k.known[e.Target.File].state == key {
		return
	}
	k.known[e.Target.File] = known{target: e.Target, state: key}
	k.emit(e)
}

func stateKey(e Event) string {
	key := fmt.Sprintf("%v/%d", e.Kind, e.URLs)
	if e.Err != nil {
		key += "/" + e.Err.Error()
	}
	return key
}

func (k *Keeper) emit(e Event) {
	e.Time = time.Now()
	level := slog.LevelInfo
	switch e.Kind {
	case Skipped, Removed:
		level = slog.LevelDebug
	case Failed:
		level = slog.LevelWarn
	}
	k.log.Log(context.Background(), level, "patcher: "+e.String())
	switch {
	case e.Config != "" && k.opts.OnConfigEvent != nil:
		k.opts.OnConfigEvent(e)
	case e.Config == "" && k.opts.OnEvent != nil:
		k.opts.OnEvent(e)
	}
}

// watch makes w watch what can change the targets: each root (to see
// node_modules come and go), its node_modules and .pnpm, and every
// directory from the root down to each place a catalog is or may be (so a
// package still being installed is seen once complete), but never a whole
// tree. It reports whether any directory was added.
func (k *Keeper) watch(w *fswatch.Watcher, roots []Root, cands []candidate, targets []Target, configs []ConfigFile) (added bool) {
	want := map[string]bool{}
	for _, r := range roots {
		want[r.Dir] = true
		want[r.NodeModules] = true
		want[filepath.Join(r.NodeModules, ".pnpm")] = true
	}
	for _, c := range cands {
		for _, f := range candidateFormats(c.dir) {
			addChain(want, c.root.Dir, filepath.Dir(filepath.Join(c.dir, f.Rel())))
		}
	}
	for _, cf := range configs {
		for _, d := range configDirs(cf.Path) {
			want[d] = true
		}
	}
	for _, t := range targets {
		// The path as found (through pnpm's symlink) and the real one.
		addChain(want, t.Root, filepath.Dir(t.Dir))
		addChain(want, t.Root, filepath.Dir(t.File))
	}
	for dir := range want {
		if !k.watched[dir] {
			if err := w.Add(dir); err != nil {
				k.log.Warn("patcher: watch", "dir", dir, "err", err)
			}
			k.watched[dir] = true
			added = true
		}
	}
	dirs := make([]string, 0, len(want))
	for dir := range k.watched {
		if !want[dir] {
			w.Remove(dir)
			delete(k.watched, dir)
			continue
		}
		dirs = append(dirs, dir)
	}
	sort.Strings(dirs)
	k.mu.Lock()
	k.dirs = dirs
	k.mu.Unlock()
	return added
}

// routeAll routes every install. It returns the routes, targets with the
// catalogs of the routes added, and the config route's files, each once.
func routeAll(ins []Install, env Env, targets []Target) ([]Route, []Target, []ConfigFile) {
	routes := make([]Route, len(ins))
	var configs []ConfigFile
	for i, in := range ins {
		r := RouteFor(in, env)
		routes[i] = r
		targets = addTargets(targets, r.Catalogs)
		if r.Kind == ConfigRoute && r.Config.Path != "" && !slices.Contains(configs, r.Config) {
			configs = append(configs, r.Config)
		}
	}
	return routes, targets, configs
}

// candidateFormats are the catalog files a pi-ai package at dir may
// have, by its scope: only @earendil-works versions moved the catalog.
func candidateFormats(dir string) []Format {
	if filepath.Base(filepath.Dir(dir)) == "@mariozechner" {
		return []Format{ModelsJS}
	}
	return []Format{ModelsJS, ProviderModelsJS, ProviderJSON}
}

// addTargets appends the targets of more not in targets yet.
func addTargets(targets, more []Target) []Target {
	for _, t := range more {
		if !slices.ContainsFunc(targets, func(o Target) bool { return o.File == t.File }) {
			targets = append(targets, t)
		}
	}
	return targets
}

// addChain adds dir and its parents up to root. A dir outside root (a
// symlinked root, or a pnpm store placed elsewhere) gets itself and two
// parents: the package and its scope.
func addChain(want map[string]bool, root, dir string) {
	real := root
	if r, err := filepath.EvalSymlinks(root); err == nil {
		real = r
	}
	for _, base := range []string{root, real} {
		if dir == base || strings.HasPrefix(dir, base+string(filepath.Separator)) {
			for p := dir; p != base; p = filepath.Dir(p) {
				want[p] = true
			}
			return
		}
	}
	for i, p := 0, dir; i < 3 && filepath.Dir(p) != p; i, p = i+1, filepath.Dir(p) {
		want[p] = true
	}
}
