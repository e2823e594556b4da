package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/config/settings"
	"github.com/clawbridge/clawbridge/daemon/models"
	"github.com/clawbridge/clawbridge/daemon/status"
)

// runPull pulls the model an alias names (or a model by name) into
// Ollama with a progress bar: through the running daemon, so the tray
// shows it too, or on its own when no daemon runs. Ctrl-C cancels it.
func runPull(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("pull", stderr)
	cfgPath := fs.String("config", "", "config `file` naming the aliases and Ollama servers (default: the user's)")
	backend := fs.String("backend", "", "Ollama `url` to pull a model into (default: the alias's, else the config's first)")
	insecure := fs.Bool("insecure", false, "allow a registry over plain HTTP (a local mirror)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: clawbridge pull [flags] ALIAS|MODEL")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &exitError{code: 2, msg: "name one alias of the config or one Ollama model, e.g. `clawbridge pull claude-sonnet-4-5`"}
	}
	name := fs.Arg(0)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := pullThroughDaemon(ctx, *cfgPath, admin.PullRequest{Name: name, Backend: *backend, Insecure: *insecure}, stdout)
	if errors.Is(err, admin.ErrNotRunning) {
		p, err = pullAlone(ctx, *cfgPath, name, *backend, *insecure, stdout)
	}
	if err != nil {
		return err
	}
	switch {
	case p.Cancelled:
		return &exitError{code: 130, msg: "cancelled; pulling again resumes the download"}
	case p.Err != "":
		return fmt.Errorf("%s: %s", p.Model, p.Err)
	}
	fmt.Fprintf(stdout, "pulled %s into %s\n", p.Model, p.Backend)
	return nil
}

// pullThroughDaemon asks the running daemon to pull and shows its
// progress until the pull ends; Ctrl-C (ctx) asks the daemon to cancel.
func pullThroughDaemon(ctx context.Context, cfgPath string, req admin.PullRequest, out io.Writer) (status.PullState, error) {
	dir, err := runtimeDir(cfgPath)
	if err != nil {
		return status.PullState{}, err
	}
	ac, err := admin.Connect(dir)
	if err != nil {
		return status.PullState{}, err
	}
	started, err := ac.StartPull(context.WithoutCancel(ctx), req)
	if err != nil {
		return status.PullState{}, err
	}
	cancelled := false
	return watchPull(ctx, out, func() (status.PullState, error) {
		if ctx.Err() != nil && !cancelled {
			cancelled = true
			if err := ac.CancelPull(context.Background(), started.Model); err != nil {
				return status.PullState{}, fmt.Errorf("cancel the pull: %w", err)
			}
		}
		pulls, err := ac.Pulls(context.Background())
		if err != nil {
			return status.PullState{}, err
		}
		for _, p := range pulls {
			if p.Model == started.Model && p.Backend == started.Backend {
				return p, nil
			}
		}
		return status.PullState{}, fmt.Errorf("the daemon lost the pull of %s", started.Model)
	})
}

// pullAlone pulls straight from this process, with the config's aliases
// and servers, when no daemon runs.
func pullAlone(ctx context.Context, cfgPath, name, backend string, insecure bool, out io.Writer) (status.PullState, error) {
	if cfgPath == "" {
		p, err := config.DefaultPath()
		if err != nil {
			return status.PullState{}, err
		}
		cfgPath = p
	}
	cfg, err := config.Load(cfgPath)
	if errors.Is(err, os.ErrNotExist) {
		cfg, err = &config.Config{}, nil // no config yet: a model into the default Ollama
	}
	if err != nil {
		return status.PullState{}, err
	}
	base, model, err := settings.PullTarget(cfg, name, backend)
	if err != nil {
		return status.PullState{}, err
	}
	pulls := models.NewPulls(&http.Client{}, slog.New(slog.DiscardHandler), func() {}, func(status.PullState) {})
	if _, err := pulls.Start(ctx, base, model, insecure); err != nil {
		return status.PullState{}, err
	}
	return watchPull(ctx, out, func() (status.PullState, error) {
		for _, p := range pulls.List() {
			if p.Model == model {
				return p, nil
			}
		}
		return status.PullState{}, fmt.Errorf("the pull of %s vanished", model)
	})
}

// watchPull draws the pull's progress from poll until it has ended.
func watchPull(ctx context.Context, out io.Writer, poll func() (status.PullState, error)) (status.PullState, error) {
	bar := progressBar{w: out, tty: isTerminal(out)}
	t := time.NewTicker(150 * time.Millisecond)
	defer t.Stop()
	for {
		p, err := poll()
		if err != nil {
			bar.end()
			return p, err
		}
		bar.draw(p)
		if p.Done {
			bar.end()
			return p, nil
		}
		<-t.C
	}
}

// progressBar draws a pull's progress on one line of a terminal, or a
// line per change of status elsewhere (a log, a pipe).
type progressBar struct {
	w    io.Writer
	tty  bool
	last string
}

const barWidth = 30

func (b *progressBar) draw(p status.PullState) {
	if !b.tty {
		if p.Status != b.last && p.Status != "" {
			fmt.Fprintf(b.w, "%s: %s\n", p.Model, p.Status)
			b.last = p.Status
		}
		return
	}
	pct := p.Percent()
	filled := pct * barWidth / 100
	line := fmt.Sprintf("\r%-28s [%s%s] %3d%%  %s / %s", cut(p.Status, 28), strings.Repeat("#", filled),
		strings.Repeat(".", barWidth-filled), pct, status.Bytes(p.Completed), status.Bytes(p.Total))
	fmt.Fprintf(b.w, "%-80s", line)
	b.last = line
}

func (b *progressBar) end() {
	if b.tty && b.last != "" {
		fmt.Fprintln(b.w)
	}
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
