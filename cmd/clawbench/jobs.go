package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/clawbridge/clawbridge/patcher"
	"github.com/clawbridge/clawbridge/patcher/guard"
)

// jobResult times one of the daemon's background jobs, once per run.
type jobResult struct {
	latencies []time.Duration
	// what describes the measurement for the report.
	what string
}

// jobTimeout bounds the wait for one reaction; it is a hang guard.
const jobTimeout = 30 * time.Second

//go:embed testdata/auth-profiles.json
var authProfiles []byte

// runGuardJob times the guard's answer to Clawdbot's Claude-CLI OAuth sync:
// an agent's auth-profiles.json is rewritten in place the way the sync
// rewrites it (the CLI's profile preferred, the local pin gone), and the
// clock runs from the end of that write to the guard's Restored event,
// after which the file on disk must hold the invariant again. The guard
// runs with the daemon's defaults (a 150 ms debounce).
func runGuardJob(ctx context.Context, o *options, work string, logf func(string, ...any)) (*jobResult, error) {
	dir := filepath.Join(work, "guard-home", ".clawdbot", "agents", "main", "agent")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "auth-profiles.json")
	if err := os.WriteFile(path, authProfiles, 0o600); err != nil {
		return nil, err
	}
	events := make(chan guard.Event, 16)
	g, err := guard.New(guard.Options{
		Key:     "sk-clawbench-local",
		Dirs:    []string{dir},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnEvent: func(e guard.Event) { events <- e },
	})
	if err != nil {
		return nil, err
	}
	gctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- g.Run(gctx) }()
	defer func() {
		stop()
		<-done
	}()
	// The first check pins the fixture, which Claude CLI's sync broke.
	if _, err := waitGuard(ctx, events, guard.Restored); err != nil {
		return nil, fmt.Errorf("guard: first pin: %w", err)
	}
	res := &jobResult{what: "auth-profiles.json rewritten by an OAuth sync → guard's restore written"}
	for i := range o.jobRuns {
		waitIdle(ctx, 500*time.Millisecond)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		synced, err := oauthSync(b, i)
		if err != nil {
			return nil, err
		}
		// In place, as Clawdbot writes it.
		if err := os.WriteFile(path, synced, 0o600); err != nil {
			return nil, err
		}
		wrote := time.Now()
		at, err := waitGuard(ctx, events, guard.Restored)
		if err != nil {
			return nil, fmt.Errorf("guard: restore %d: %w", i+1, err)
		}
		st, err := g.Check()
		if err != nil {
			return nil, err
		}
		if len(st) != 1 || !st[0].Held {
			return nil, fmt.Errorf("guard: after the restore the invariant does not hold: %+v", st)
		}
		res.latencies = append(res.latencies, at.Sub(wrote))
		logf("jobs: guard restore %d/%d after %v", i+1, o.jobRuns, at.Sub(wrote).Round(time.Millisecond))
	}
	return res, nil
}

// waitGuard waits for an event of kind and returns when it arrived.
func waitGuard(ctx context.Context, events <-chan guard.Event, kind guard.Kind) (time.Time, error) {
	timeout := time.After(jobTimeout)
	for {
		select {
		case e := <-events:
			if e.Kind == kind {
				return time.Now(), nil
			}
			if e.Kind == guard.Failed {
				return time.Time{}, e.Err
			}
		case <-timeout:
			return time.Time{}, fmt.Errorf("no %v event within %v", kind, jobTimeout)
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// oauthSync rewrites an auth store the way Clawdbot does after copying
// Claude CLI's credentials: a fresh OAuth access token in
// anthropic:claude-cli, that profile marked last good, and no explicit
// order, so OAuth would win. n varies the token.
func oauthSync(store []byte, n int) ([]byte, error) {
	var s map[string]any
	if err := json.Unmarshal(store, &s); err != nil {
		return nil, fmt.Errorf("auth store: %w", err)
	}
	profiles, _ := s["profiles"].(map[string]any)
	cli, _ := profiles["anthropic:claude-cli"].(map[string]any)
	if cli == nil {
		return nil, errors.New("auth store has no anthropic:claude-cli profile")
	}
	cli["access"] = fmt.Sprintf("sk-ant-oat01-SYNCED-%d", n)
	if order, ok := s["order"].(map[string]any); ok {
		delete(order, "anthropic")
	}
	lastGood, _ := s["lastGood"].(map[string]any)
	if lastGood == nil {
		lastGood = map[string]any{}
		s["lastGood"] = lastGood
	}
	lastGood["anthropic"] = "anthropic:claude-cli"
	out, err := json.MarshalIndent(s, "", "  ")
	return append(out, '\n'), err
}

// runRepatchJob times the patcher keeper's answer to `pnpm install
// --force` in a real Clawdbot install, which puts pi-ai's original model
// catalog back: from the install's last write (the mtime of the files
// pnpm writes last, node_modules/.modules.yaml and .pnpm/lock.yaml) to
// the keeper's Repatched event, after which every catalog must be patched
// on disk. The provisioned install is shared with the tests, so the same
// lockfile is installed --offline into a scratch project (pnpm links the
// files from its store: seconds, no disk).
func runRepatchJob(ctx context.Context, o *options, work string, logf func(string, ...any)) (lastWrite, exposed *jobResult, err error) {
	project := filepath.Join(work, "clawdbot")
	if err := os.MkdirAll(project, 0o755); err != nil {
		return nil, nil, err
	}
	for _, name := range []string{"package.json", "pnpm-lock.yaml", ".npmrc"} {
		b, err := os.ReadFile(filepath.Join(o.clawdbotDir, name))
		if errors.Is(err, fs.ErrNotExist) && name == ".npmrc" {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(filepath.Join(project, name), b, 0o644); err != nil {
			return nil, nil, err
		}
	}
	pnpm := strings.Fields(o.pnpm)
	install := func(args ...string) error {
		cmd := exec.CommandContext(ctx, pnpm[0], append(append(pnpm[1:], "install", "--offline", "--frozen-lockfile", "--reporter=append-only"), args...)...)
		cmd.Dir = project
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("pnpm install %s: %w\n%s", strings.Join(args, " "), err, tail2(out, 20))
		}
		return nil
	}
	logf("jobs: installing Clawdbot into a scratch project (pnpm --offline)")
	if err := install(); err != nil {
		return nil, nil, err
	}
	targets, err := patcher.Discover([]string{project}, false)
	if err != nil {
		return nil, nil, err
	}
	if len(targets) == 0 {
		return nil, nil, errors.New("no pi-ai catalog in the installed Clawdbot")
	}
	const base = "http://127.0.0.1:4000"
	k, err := patcher.NewKeeper(patcher.KeeperOptions{
		Dirs:    []string{project},
		BaseURL: base,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return nil, nil, err
	}
	kctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- k.Run(kctx) }()
	defer func() {
		stop()
		<-done
	}()
	w := newCatalogWatch(targets, base)
	if err := waitFor(ctx, w.allPatched); err != nil {
		return nil, nil, fmt.Errorf("keeper: first patch: %w", err)
	}
	lastWrite = &jobResult{what: "`pnpm install --force`: the install's last write → re-patched on disk (0: already re-patched when the install ended)"}
	exposed = &jobResult{what: "`pnpm install --force`: original catalog back on disk → re-patched on disk"}
	for i := range o.jobRuns {
		waitIdle(ctx, time.Second)
		w.start()
		err := install("--force")
		if err == nil {
			err = waitFor(ctx, w.allPatched)
		}
		waitIdle(ctx, time.Second) // a later write would undo it: keep looking
		patchedAt, restoredAt := w.stop()
		if err != nil {
			return nil, nil, err
		}
		if !w.allPatched() {
			return nil, nil, errors.New("keeper: a catalog went back to unpatched after the re-patch")
		}
		if restoredAt.IsZero() {
			return nil, nil, errors.New("pnpm install --force did not put the original catalog back: nothing was measured")
		}
		last, err := installEnd(project)
		if err != nil {
			return nil, nil, err
		}
		d, e := max(0, patchedAt.Sub(last)), patchedAt.Sub(restoredAt)
		lastWrite.latencies = append(lastWrite.latencies, d)
		exposed.latencies = append(exposed.latencies, e)
		logf("jobs: re-patch %d/%d: %v after the install's last write, %v after the original came back", i+1, o.jobRuns, d.Round(time.Millisecond), e.Round(time.Millisecond))
	}
	return lastWrite, exposed, nil
}

// catalogWatch follows pi-ai's catalogs on disk while an install runs:
// every 2 ms it stats each file, and when one changed (pnpm links the
// store's original, the keeper renames a patched copy over it) it reads
// it and notes whether it is patched, and when it turned so.
type catalogWatch struct {
	targets []patcher.Target
	base    string

	quit, done chan struct{}
	// Owned by the polling goroutine while it runs.
	patchedAt  time.Time // the last time a catalog turned patched
	restoredAt time.Time // the first time a catalog was seen unpatched
}

func newCatalogWatch(targets []patcher.Target, base string) *catalogWatch {
	return &catalogWatch{targets: targets, base: base}
}

func (w *catalogWatch) allPatched() bool {
	for _, t := range w.targets {
		if !patcher.Inspect(t, w.base).IsPatched() {
			return false
		}
	}
	return true
}

func (w *catalogWatch) start() {
	w.quit, w.done = make(chan struct{}), make(chan struct{})
	w.patchedAt, w.restoredAt = time.Time{}, time.Time{}
	type state struct {
		fi      os.FileInfo
		patched bool
	}
	seen := make([]state, len(w.targets))
	for i, t := range w.targets {
		seen[i].fi, _ = os.Stat(t.File)
		seen[i].patched = patcher.Inspect(t, w.base).IsPatched()
	}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.quit:
				return
			case <-tick.C:
			}
			for i, t := range w.targets {
				fi, err := os.Stat(t.File)
				if err != nil || seen[i].fi != nil && os.SameFile(fi, seen[i].fi) && fi.ModTime().Equal(seen[i].fi.ModTime()) && fi.Size() == seen[i].fi.Size() {
					continue
				}
				now := time.Now()
				seen[i].fi = fi
				patched := patcher.Inspect(t, w.base).IsPatched()
				if patched && !seen[i].patched {
					w.patchedAt = now
				}
				if !patched && w.restoredAt.IsZero() {
					w.restoredAt = now
				}
				seen[i].patched = patched
			}
		}
	}()
}

// stop ends the watch and returns when a catalog last turned patched and
// when the install first put an original back (zero if it never did).
func (w *catalogWatch) stop() (patched, restored time.Time) {
	close(w.quit)
	<-w.done
	return w.patchedAt, w.restoredAt
}

// installEnd is when pnpm wrote the last files of an install.
func installEnd(project string) (time.Time, error) {
	var last time.Time
	for _, name := range []string{"node_modules/.modules.yaml", "node_modules/.pnpm/lock.yaml"} {
		fi, err := os.Stat(filepath.Join(project, name))
		if err != nil {
			return last, err
		}
		if fi.ModTime().After(last) {
			last = fi.ModTime()
		}
	}
	return last, nil
}

// waitFor polls cond every 10 ms until it holds.
func waitFor(ctx context.Context, cond func() bool) error {
	deadline := time.Now().Add(jobTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not done within %v", jobTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

func tail2(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
