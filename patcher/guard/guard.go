// Package guard keeps Clawdbot on clawbridge's local key when Claude-CLI
// OAuth sync takes over its auth store, without losing anything in it.
//
// Clawdbot keeps credentials in <agentDir>/auth-profiles.json. On every load
// it copies Claude CLI's credentials into the profile anthropic:claude-cli,
// and with no explicit order it prefers OAuth over API keys, so requests go
// to Anthropic with the user's subscription instead of to the translator.
// An explicit order.anthropic of ["anthropic:default"] makes Clawdbot use
// only the local profile. The guard watches every agent directory and keeps
// this invariant:
//
//	profiles["anthropic:default"] = {type: "api_key", provider: "anthropic", key: <local key>}
//	order.anthropic               = ["anthropic:default"]
//	lastGood.anthropic            = "anthropic:default"
//
// It edits only those entries and writes only when one is wrong, so it never
// fights Clawdbot's own per-turn writes; every other byte stays as Clawdbot
// wrote it, the OAuth profile included (it is the user's credential). A
// credential it finds in anthropic:default is kept as anthropic:pre-clawbridge.
//
// Clawdbot writes the file in place (not atomically), and when it reads a
// half-written file while Claude CLI credentials exist it saves a new store
// holding only anthropic:claude-cli. The guard therefore keeps the last good
// version in auth-profiles.json.clawbridge-bak and merges lost profiles back
// when the file turns into such a store (see recoverLost for the rule); a
// file that stays unparsable is copied to auth-profiles.json.broken-<time>
// and rebuilt from the last good version plus whatever entries of it are
// complete.
//
// Where the caller says so (Options.Create), the guard does not wait for
// the app: it creates the agent directory and a store holding only the
// invariant, for a user who has none yet. OpenClaw from 2026.6 on keeps
// its auth store in SQLite (openclaw-agent.sqlite in the agent directory,
// or state/openclaw.sqlite in the state directory) and no longer reads
// auth-profiles.json; where either database exists the guard writes
// nothing and says so (SQLiteStore), looking again before every write.
// OpenClaw 2026.9 even refuses Anthropic turns while an auth-profiles.json
// sits there: one holding nothing but what clawbridge writes (an older
// build, or the default Create, made it before the database appeared) the
// guard moves aside (Removed); any other it leaves to `openclaw doctor
// --fix` and says so (LegacyStore).
package guard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/patcher/atomicfile"
)

// File names the guard keeps next to auth-profiles.json.
const (
	// BackupSuffix names the last good version of the store.
	BackupSuffix = ".clawbridge-bak"
	// BrokenSuffix starts the name of a copy of a file that did not parse,
	// followed by its UTC time.
	BrokenSuffix = ".broken-"
	// keepBroken is how many broken copies are kept per directory.
	keepBroken = 10
)

// Kind says what the guard did with one auth-profiles.json.
type Kind int

const (
	// OK: the invariant holds; nothing was written.
	OK Kind = iota
	// Restored: the invariant was broken and has been put back.
	Restored
	// Recovered: data was lost (the file did not parse, or was replaced by
	// a store missing profiles) and has been put back, and the invariant
	// holds again.
	Recovered
	// Failed: the file could not be checked or repaired; Event.Err says why.
	Failed
	// Created: there was no store (or, where Options.Create allows it, no
	// agent directory either) and the guard created it holding only the
	// invariant.
	Created
	// SQLiteStore: the app keeps this agent directory's auth store in
	// SQLite and does not read auth-profiles.json there, so the guard
	// wrote nothing; Event.Changes names the database.
	SQLiteStore
	// Removed: the agent directory has moved to SQLite and still held an
	// auth-profiles.json with nothing but what clawbridge writes (see
	// RemovedSuffix), which OpenClaw 2026.9 refuses; the guard moved it
	// aside. Event.Changes says where to.
	Removed
	// LegacyStore: the agent directory has moved to SQLite and holds an
	// auth-profiles.json that clawbridge did not write (the user's or the
	// app's profiles). The guard left it alone; Event.Changes gives the
	// fix (`openclaw doctor --fix`).
	LegacyStore
)

// String is the word the guard's log lines and `clawbridge guard` print
// for what happened ("restored", "recovered", ...); unknown values print
// as Kind(n) rather than an empty string.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

var kindNames = [...]string{
	OK: "ok", Restored: "restored", Recovered: "recovered", Failed: "failed",
	Created: "created", Removed: "removed",
	SQLiteStore: "left alone (SQLite store)",
	LegacyStore: "left alone (legacy JSON store beside SQLite)",
}

// Event reports one check of one auth-profiles.json, for the daemon's log
// and tray.
type Event struct {
	Kind    Kind
	Path    string   // the auth-profiles.json (for SQLiteStore, the one the guard did not write)
	Changes []string // what was wrong and what the guard did; never credentials
	Err     error    // set for Failed
	Time    time.Time
}

// Status is the state of one agent directory, for `clawbridge guard` and
// the tray.
type Status struct {
	Dir  string // the agent directory
	Path string // its auth-profiles.json
	// Missing: the agent directory or its auth-profiles.json does not
	// exist. Held is true when the guard will not create them (nothing to
	// guard yet), false with a Problem when it will.
	Missing bool
	// SQLite is the database the app reads instead of auth-profiles.json
	// in this directory ("" when the store is JSON). When set the guard
	// pins nothing here and Held is false: the local key has to come from
	// the app's config (the config route), which is not a problem; then
	// Problems is empty unless Legacy is set.
	SQLite string
	// Legacy: beside the SQLite store there is an auth-profiles.json,
	// which OpenClaw 2026.9 refuses until it is migrated. Problems says
	// whether the guard takes it back at its next check (clawbridge wrote
	// it) or the user has to run `openclaw doctor --fix` (anything else,
	// and then LegacyForeign is set too).
	Legacy        bool
	LegacyForeign bool
	// Removed is the newest auth-profiles.json the guard took back from
	// this SQLite directory (see RemovedSuffix), "" when none.
	Removed string
	// Held: the invariant holds in a store the app reads. When false,
	// Problems says which part is broken.
	Held     bool
	Problems []string
	// Using is the Anthropic profile Clawdbot would use with the file as
	// it is ("" when none or unknown).
	Using string
	// Profiles is the number of profiles in the file.
	Profiles int
	// LastRestore is when this guard last wrote the file (zero if never).
	LastRestore time.Time
	// Err is set when the file could not be read.
	Err error
}

// Options configure a Guard. Only Key matters to most callers; the rest
// have defaults that match Clawdbot's timings.
type Options struct {
	// Key is the local key pinned into anthropic:default: the translator's
	// master key, or DefaultKey when empty. It must be printable ASCII
	// (it travels in an HTTP header).
	Key string
	// Dirs are the agent directories to guard; empty means Discover(Home,
	// Getenv), re-run every Rescan.
	Dirs []string
	// Create, when set, says for each agent directory whether the guard
	// may create the store where there is none. True: the guard creates
	// the directory (0700, parents included, as the app does) and an
	// auth-profiles.json holding only the invariant, at its first check
	// and whenever either disappears; this is for a state directory whose
	// app reads a JSON store (Clawdbot 2026.1.24, OpenClaw 2026.1.29 to
	// 2026.5.27). False: the guard keeps a store the app made and creates
	// nothing. Nil keeps the default: a missing auth-profiles.json is
	// created in an agent directory that exists, a missing directory is
	// left alone. Either way no store is written where the app keeps its
	// store in SQLite (see SQLiteStore); one clawbridge wrote there before
	// is moved aside (see Removed).
	//
	// Creating a state directory can change which one the app uses:
	// OpenClaw up to 2026.5.x uses ~/.clawdbot while ~/.openclaw does not
	// exist. Say true only for the state directory the app resolves.
	Create func(agentDir string) bool
	// Home and Getenv feed Discover (defaults: os.UserHomeDir, os.Getenv).
	Home   string
	Getenv func(string) string
	// Debounce is the quiet time after a burst of file events before the
	// guard looks (default 150ms).
	Debounce time.Duration
	// Rescan is how often Run discovers new agent directories and checks
	// every file even without events, in case an event was lost
	// (default 1 minute).
	Rescan time.Duration
	// ParseRetries and RetryDelay: a file that does not parse is read again
	// this many times, this far apart, before it counts as broken: a
	// writer may be in the middle of an in-place write (default 5, 200ms).
	ParseRetries int
	RetryDelay   time.Duration
	// LockStale is the age after which a store lock is abandoned (default
	// 30s, proper-lockfile's stale setting in Clawdbot); LockWait is how
	// long to wait behind a live lock before giving up on this round
	// (default 35s, so that a dead holder's lock goes stale first).
	LockStale time.Duration
	LockWait  time.Duration
	// OnEvent, when set, receives every Restored, Recovered and Failed
	// event, and an OK event for each file's first check and after a
	// failure. It is called from the guard's goroutine and should return
	// quickly.
	OnEvent func(Event)
	// Logger receives the same events (default slog.Default()).
	Logger *slog.Logger
}

// Guard keeps the invariant in a set of agent directories.
type Guard struct {
	opts Options
	key  string
	log  *slog.Logger

	mu   sync.Mutex // serialises checks; guards dirs
	dirs map[string]*dirState

	// Test hooks.
	lockBusy   func()
	parseRetry func(attempt int)
}

// dirState is what the guard remembers about one agent directory.
type dirState struct {
	last        []byte // last good content (nil: none known)
	bakOnDisk   []byte // what the backup file holds
	lastRestore time.Time
	announced   bool // an event has been emitted for this file
	lastKind    Kind
}

// New checks opts and returns a Guard; it touches no file.
func New(opts Options) (*Guard, error) {
	key := opts.Key
	if key == "" {
		key = DefaultKey
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return nil, errors.New("the local key must be printable ASCII without spaces")
		}
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if len(opts.Dirs) == 0 && opts.Home == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("find home directory: %w", err)
		}
		opts.Home = home
	}
	dirs := make([]string, 0, len(opts.Dirs))
	for _, d := range opts.Dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("agent directory %s: %w", d, err)
		}
		if !contains(dirs, abs) {
			dirs = append(dirs, abs)
		}
	}
	opts.Dirs = dirs
	if opts.Debounce <= 0 {
		opts.Debounce = 150 * time.Millisecond
	}
	if opts.Rescan <= 0 {
		opts.Rescan = time.Minute
	}
	if opts.ParseRetries <= 0 {
		opts.ParseRetries = 5
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 200 * time.Millisecond
	}
	if opts.LockStale <= 0 {
		opts.LockStale = 30 * time.Second
	}
	if opts.LockWait <= 0 {
		opts.LockWait = 35 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Guard{opts: opts, key: key, log: log, dirs: map[string]*dirState{}}, nil
}

// Key returns the key the guard pins, for callers that show its mask.
func (g *Guard) Key() string { return g.key }

// Dirs returns the agent directories the guard looks after right now.
func (g *Guard) Dirs() []string {
	if len(g.opts.Dirs) > 0 {
		return append([]string(nil), g.opts.Dirs...)
	}
	return Discover(g.opts.Home, g.opts.Getenv)
}

// Check reports on every agent directory without writing anything. The
// error joins the directories whose file could not be read.
func (g *Guard) Check() ([]Status, error) {
	var out []Status
	var errs []error
	for _, dir := range g.Dirs() {
		s := g.status(context.Background(), dir)
		if s.Err != nil {
			errs = append(errs, s.Err)
		}
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}

// Fix checks and, where needed, repairs every agent directory once. It
// returns one event per existing directory; the error joins the failures.
func (g *Guard) Fix() ([]Event, error) {
	var out []Event
	var errs []error
	for _, dir := range g.Dirs() {
		ev, ok := g.check(context.Background(), dir)
		if !ok {
			continue
		}
		if ev.Kind == Failed {
			errs = append(errs, ev.Err)
		}
		out = append(out, ev)
	}
	return out, errors.Join(errs...)
}

// check runs one check of dir and emits its event. ok is false when the
// directory does not exist (nothing to report).
func (g *Guard) check(ctx context.Context, dir string) (Event, bool) {
	g.mu.Lock()
	st := g.state(dir)
	ev, ok := g.fixDir(ctx, dir, st)
	if ev.Kind == Failed && ctx.Err() != nil {
		// Shutting down mid-check is not a failure worth reporting.
		g.mu.Unlock()
		return ev, ok
	}
	emit := ok && worthTelling(ev.Kind, st)
	if ok {
		st.announced = true
		st.lastKind = ev.Kind
	}
	g.mu.Unlock()

	if emit {
		logEvent(g.log, ev)
		if g.opts.OnEvent != nil {
			g.opts.OnEvent(ev)
		}
	}
	return ev, ok
}

// worthTelling says whether a check that came out as kind is news: every
// write and failure is; a quiet outcome (OK, SQLiteStore) only the first
// time, after a failure, and for SQLiteStore and LegacyStore when the
// directory was something else before. An app writing its SQLite database wakes the
// guard often, and each of those checks says the same.
func worthTelling(kind Kind, st *dirState) bool {
	switch kind {
	case OK:
		return !st.announced || st.lastKind == Failed
	case SQLiteStore:
		// Right after a take-back the directory is as Removed said.
		return !st.announced || (st.lastKind != SQLiteStore && st.lastKind != Removed)
	case LegacyStore:
		return !st.announced || st.lastKind != LegacyStore
	}
	return true
}

// logEvent writes ev to log, at Warn for what needs someone's attention.
func logEvent(log *slog.Logger, ev Event) {
	switch ev.Kind {
	case OK:
		log.Debug("guard: auth store pinned to the local key", "path", ev.Path)
	case SQLiteStore:
		log.Info("guard: the app keeps this auth store in SQLite; left it alone", "path", ev.Path, "why", strings.Join(ev.Changes, "; "))
	case LegacyStore:
		log.Warn("guard: a legacy JSON auth store clawbridge did not write sits beside the app's SQLite store; left it alone", "path", ev.Path, "fix", strings.Join(ev.Changes, "; "))
	case Failed:
		log.Warn("guard: cannot keep auth store pinned", "path", ev.Path, "err", ev.Err)
	default:
		log.Info("guard: "+ev.Kind.String()+" auth store", "path", ev.Path, "changes", strings.Join(ev.Changes, "; "))
	}
}

// state returns dir's memory, loading the backup file the first time so
// that a restarted guard still knows the last good version. Called with
// g.mu held.
func (g *Guard) state(dir string) *dirState {
	if st, ok := g.dirs[dir]; ok {
		return st
	}
	st := &dirState{}
	if data, err := os.ReadFile(filepath.Join(dir, FileName+BackupSuffix)); err == nil {
		if _, err := parseStore(data); err == nil {
			st.last, st.bakOnDisk = data, data
		}
	}
	g.dirs[dir] = st
	return st
}

// fixDir is one round for one directory: read, decide, and when a write is
// needed, decide again under the store lock and write. ok is false when
// there is nothing to guard (a directory or store that is missing and may
// not be created). Called with g.mu held.
func (g *Guard) fixDir(ctx context.Context, dir string, st *dirState) (ev Event, ok bool) {
	path := filepath.Join(dir, FileName)
	ev = Event{Kind: OK, Path: path, Time: time.Now()}
	fail := func(err error) (Event, bool) {
		ev.Kind, ev.Err, ev.Time = Failed, err, time.Now()
		return ev, true
	}
	mkdir, mkfile := mayCreate(g.opts.Create, dir)
	dirExists := isDir(dir)
	if !dirExists && !mkdir {
		return ev, false
	}
	if db := sqliteStore(dir); db != "" {
		return sqliteRound(ctx, ev, db, st, legacyOf(g)), true
	}
	var made []change
	if !dirExists {
		if err := makeAgentDir(dir); err != nil {
			return fail(err)
		}
		made = append(made, change{"the agent directory " + dir + " is missing", "created it"})
	}
	target, err := resolveTarget(path)
	if err != nil {
		return fail(err)
	}
	// A guard killed mid-write left temporary copies of the store (and of
	// its backup) beside it: credentials, so they go as soon as we look.
	cleanTemps(g.log, dir, target)
	if !mkfile && !fileExists(target) {
		return ev, false
	}
	data, exists, err := g.readSettled(ctx, target)
	if err != nil {
		return fail(err)
	}
	p, err := makePlan(dir, data, exists, st.last, g.key, time.Now())
	if err != nil {
		return fail(err)
	}
	if !p.needed() {
		g.remember(dir, st, data)
		return ev, true
	}

	lock, err := acquireLock(ctx, target, lockParams{stale: g.opts.LockStale, wait: g.opts.LockWait, busy: g.lockBusy})
	if err != nil {
		return fail(fmt.Errorf("guard %s: %w", path, err))
	}
	defer func() {
		if err := lock.release(); err != nil {
			g.log.Warn("guard: release store lock", "err", err)
		}
	}()
	// Read again under the lock: a locked writer may have changed the
	// file since, and its version is the one to repair.
	data, exists, err = g.readSettled(ctx, target)
	if err != nil {
		return fail(err)
	}
	p, err = makePlan(dir, data, exists, st.last, g.key, time.Now())
	if err != nil {
		return fail(err)
	}
	if !p.needed() {
		g.remember(dir, st, data)
		return ev, true
	}
	// The app may have moved this directory to SQLite since the first
	// look; the last look before writing decides.
	if db := sqliteStore(dir); db != "" {
		return leftAlone(ev, db), true
	}
	if err := writePlan(dir, target, data, p); err != nil {
		return fail(err)
	}
	if p.out.write != nil {
		data = p.out.write
	}
	g.remember(dir, st, data)
	st.lastRestore = time.Now()
	ev.Kind, ev.Time = p.out.kind, st.lastRestore
	if p.out.write == nil {
		ev.Kind = Restored
	}
	for _, c := range append(made, p.changes()...) {
		ev.Changes = append(ev.Changes, c.String())
	}
	return ev, true
}

// status is Check for one directory.
func (g *Guard) status(ctx context.Context, dir string) Status {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.state(dir)
	path := filepath.Join(dir, FileName)
	s := Status{Dir: dir, Path: path, LastRestore: st.lastRestore}
	mkdir, mkfile := mayCreate(g.opts.Create, dir)
	dirExists := isDir(dir)
	if !dirExists && !mkdir {
		s.Missing, s.Held = true, true
		return s
	}
	if db := sqliteStore(dir); db != "" {
		s.SQLite = db
		sqliteStatus(&s, legacyOf(g).keys)
		return s
	}
	if !dirExists {
		s.Missing = true
		s.Problems = []string{"the agent directory is missing; the guard creates it with " + FileName}
		return s
	}
	target, err := resolveTarget(path)
	if err != nil {
		s.Err = err
		return s
	}
	if !fileExists(target) {
		s.Missing, s.Held = true, !mkfile
		if mkfile {
			s.Problems = []string{FileName + " is missing; the guard creates it holding the local key"}
		}
		return s
	}
	data, exists, err := g.readSettled(ctx, target)
	if err != nil {
		s.Err = err
		return s
	}
	p, err := makePlan(dir, data, exists, st.last, g.key, time.Now())
	if err != nil {
		s.Err = err
		return s
	}
	s.Held, s.Using = !p.needed(), p.using
	for _, c := range p.changes() {
		s.Problems = append(s.Problems, c.problem)
	}
	if top, err := parseStore(data); err == nil {
		if p, ok := section(top, "profiles"); ok {
			s.Profiles = len(p.Members)
		}
	}
	return s
}

// readSettled reads the store, reading again while it does not parse (or
// is missing) for up to ParseRetries more times: a writer that writes in
// place leaves a torn file for a moment, and Clawdbot's writes are in
// place. exists is false when the file is (still) missing.
func (g *Guard) readSettled(ctx context.Context, path string) (data []byte, exists bool, err error) {
	for attempt := 0; ; attempt++ {
		data, err = os.ReadFile(path)
		exists = err == nil
		switch {
		case errors.Is(err, fs.ErrNotExist):
			data, err = nil, nil
		case err != nil:
			return nil, false, fmt.Errorf("guard: %w", err)
		}
		settled := exists
		if exists {
			_, perr := parseStore(data)
			settled = perr == nil
		}
		if settled || attempt >= g.opts.ParseRetries {
			return data, exists, nil
		}
		if g.parseRetry != nil {
			g.parseRetry(attempt)
		}
		select {
		case <-ctx.Done():
			return nil, false, fmt.Errorf("guard %s: %w", path, ctx.Err())
		case <-time.After(g.opts.RetryDelay):
		}
	}
}

// remember records data as the last good version of dir's store and keeps
// the backup file in step. A failed backup is logged, not fatal: the
// in-memory copy still protects this run.
func (g *Guard) remember(dir string, st *dirState, data []byte) {
	if data == nil {
		return
	}
	st.last = bytes.Clone(data)
	if bytes.Equal(st.bakOnDisk, data) {
		return
	}
	bak := filepath.Join(dir, FileName+BackupSuffix)
	if err := atomicfile.WritePrivate(bak, data); err != nil {
		g.log.Warn("guard: write backup of auth store", "err", err)
		return
	}
	st.bakOnDisk = st.last
}

// MaskKey shows a key the way the guard prints keys at most: its first and
// last three characters ("sk-…cal"), or "…" when it is too short to hide.
func MaskKey(key string) string {
	if len(key) < 12 {
		return "…"
	}
	return key[:3] + "…" + key[len(key)-3:]
}
