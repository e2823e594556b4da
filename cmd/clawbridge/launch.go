package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/daemon"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/patcher/fswatch"
	"github.com/clawbridge/clawbridge/tray"
)

// launcher keeps `run` alive when the daemon cannot start: the port held
// by another program, a config that does not load, another clawbridge
// running. Exiting would only have launchd (KeepAlive) start it again
// every ten seconds, with no icon and no word to the user. Instead the
// menu (or the log, headless) says why and how to fix it, and the start
// is tried again whenever the config file changes and every so often,
// until it succeeds or the user quits.
type launcher struct {
	opts   daemon.Options
	log    *slog.Logger
	stdout io.Writer
	// retry is the first delay between tries without a config change; it
	// doubles up to maxRetry.
	retry, maxRetry time.Duration
	// stopLimit bounds how long stopping the daemon may take when the
	// tray ends (AppKit exits right after).
	stopLimit time.Duration

	states  chan tray.State // the latest state for the menu
	lastWhy string          // the start failure last logged; run's alone
	quit    chan struct{}   // closed by the menu's Quit
	quitMu  sync.Once

	mu      sync.Mutex
	d       *daemon.Daemon // the running daemon; nil while it cannot start
	stopped bool           // stop ran: no daemon may start any more
}

// newLauncher prepares a launcher for the daemon opts describes; run
// starts it.
func newLauncher(opts daemon.Options, log *slog.Logger, stdout io.Writer) (*launcher, error) {
	if opts.ConfigPath == "" {
		p, err := config.DefaultPath()
		if err != nil {
			return nil, err
		}
		opts.ConfigPath = p
	}
	return &launcher{opts: opts, log: log, stdout: stdout, retry: 2 * time.Second, maxRetry: 30 * time.Second,
		stopLimit: stopLimit, states: make(chan tray.State, 1), quit: make(chan struct{})}, nil
}

// stopLimit is how long the daemon gets to stop when the tray ends: the
// translator's grace for answers in flight and the gateway's for SIGTERM,
// short of what macOS tolerates at logout.
const stopLimit = 15 * time.Second

// run starts the daemon, retrying while it cannot start, and keeps it
// until ctx is done or the user quits; then it stops it.
func (l *launcher) run(ctx context.Context) error {
	delay := l.retry
	for {
		// The config as this try reads it: a save from now on is a change.
		before := fileContent(l.opts.ConfigPath)
		d, err := l.start()
		if err == nil {
			l.serve(ctx, d)
			return l.stop()
		}
		l.failed(err)
		select {
		case <-ctx.Done():
			return nil
		case <-l.quit:
			return nil
		case <-l.configChanged(ctx, before, delay):
			delay = min(delay*2, l.maxRetry)
		}
	}
}

// start makes and starts a daemon, unless stop already ran.
func (l *launcher) start() (*daemon.Daemon, error) {
	d, err := daemon.New(l.opts)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return nil, errors.New("stopping")
	}
	if err := d.Start(); err != nil {
		return nil, err
	}
	l.d = d
	return d, nil
}

// serve feeds d's states to the menu until d stops, ctx is done or the
// user quits.
func (l *launcher) serve(ctx context.Context, d *daemon.Daemon) {
	if addr := d.State().Translator.Addr; addr != "" {
		fmt.Fprintf(l.stdout, "listening on http://%s\n", addr)
	}
	home, _ := os.UserHomeDir()
	states, unsubscribe := d.Subscribe()
	defer unsubscribe()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.quit:
			return
		case <-d.Quitting():
			return
		case <-d.Stopped():
			return
		case s := <-states:
			l.show(trayState(s, home))
		}
	}
}

// failed shows why the daemon could not start, in the menu and the log;
// a reason already logged goes to the debug level on later tries.
func (l *launcher) failed(err error) {
	why := err.Error()
	level := slog.LevelError
	if why == l.lastWhy {
		level = slog.LevelDebug
	}
	l.lastWhy = why
	l.log.Log(context.Background(), level, "clawbridge cannot start; waiting for a fix (it starts by itself once the config is saved or the cause is gone)",
		"err", why, "config", l.opts.ConfigPath)
	l.show(tray.State{Stopped: why, ConfigPath: l.opts.ConfigPath, LogPath: l.opts.LogDir})
}

// show hands s to the menu, replacing a state it has not taken yet.
func (l *launcher) show(s tray.State) {
	select {
	case <-l.states:
	default:
	}
	l.states <- s
}

// configChanged is closed when the config file's content differs from
// before, or after delay at the latest: the other causes (a port, another
// instance) go away without a file event.
func (l *launcher) configChanged(ctx context.Context, before []byte, delay time.Duration) <-chan struct{} {
	done := make(chan struct{})
	wctx, cancel := context.WithTimeout(ctx, delay)
	check := func(string) {
		if !bytes.Equal(fileContent(l.opts.ConfigPath), before) {
			cancel()
		}
	}
	w, err := fswatch.New(200*time.Millisecond, check)
	if err == nil {
		w.SetErrorHandler(func(err error) { l.log.Debug("watch the config", "err", err) })
		err = w.Add(filepath.Dir(l.opts.ConfigPath))
	}
	if err != nil {
		l.log.Debug("cannot watch the config; retrying on a timer only", "err", err)
	}
	check("") // a save before the watch was in place
	go func() {
		defer close(done)
		if w != nil {
			w.Run(wctx)
		} else {
			<-wctx.Done()
		}
		cancel()
	}()
	return done
}

// fileContent is path's content, nil when unreadable.
func fileContent(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}

// current is the running daemon, nil while it cannot start.
func (l *launcher) current() *daemon.Daemon {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.d
}

// Quit ends run: the menu's Quit.
func (l *launcher) Quit() {
	l.quitMu.Do(func() { close(l.quit) })
	if d := l.current(); d != nil {
		d.Quit()
	}
}

// stop stops the running daemon, once; later starts are refused.
func (l *launcher) stop() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	d := l.d
	l.d = nil
	if d == nil {
		return nil
	}
	return d.Stop()
}

// stopWithin is stop bounded by limit: the tray's OnExit, after which
// macOS ends the process whatever is still running.
func (l *launcher) stopWithin(limit time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- l.stop() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		return fmt.Errorf("the daemon did not stop within %v", limit)
	}
}
