// Package gateway supervises the Clawdbot/OpenClaw gateway for the daemon:
// it works out the command line from a checkout or an install, starts it
// with its output in its own log, restarts it with backoff when it dies,
// and stops it with everything it started. It records the running
// gateway's process group in the runtime directory, so that the next
// daemon stops a gateway a crashed one left (KillStale). It reports on a
// status.GatewayState; whether it may start (the pi-ai patch) is the
// daemon's decision.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/daemon/shellquote"
	"github.com/clawbridge/clawbridge/daemon/status"
)

// DefaultPort is Clawdbot's own default gateway port.
const DefaultPort = 18789

// Options describe one gateway to supervise.
type Options struct {
	Argv    []string // the command line, from Command
	Dir     string   // its working directory
	Port    int      // the port it was told to listen on, for the state
	LogPath string   // where its output goes
	// RuntimeDir is where the running gateway's process group is recorded
	// (GroupFile), for KillStale after a crash; "" records nothing.
	RuntimeDir string
	Logger     *slog.Logger
	// Backoff is the first restart delay; it doubles up to MaxBackoff and
	// resets after the process has stayed up for a minute.
	Backoff, MaxBackoff time.Duration
	// OnChange receives the state after every change.
	OnChange func(status.GatewayState)
}

// Supervisor keeps one gateway running: it starts the command, restarts
// it with backoff when it dies, and stops it (and everything it started)
// when its context ends. Its output goes to its own log file.
type Supervisor struct {
	o Options

	mu    sync.Mutex
	state status.GatewayState
}

// New prepares a Supervisor for o; Run starts it.
func New(o Options) *Supervisor {
	return &Supervisor{o: o, state: status.GatewayState{Enabled: true, Port: o.Port, LogPath: o.LogPath,
		TUICommand: TUICommand(o.Argv)}}
}

// Command works out the command line: the configured one, else
// node <dir>/dist/index.js gateway --port N --allow-unconfigured, where
// dir is a Clawdbot checkout or an install holding node_modules/clawdbot
// (or openclaw, moltbot).
func Command(command []string, dir string, port int, lookPath func(string) (string, error)) (argv []string, workdir string, err error) {
	if port == 0 {
		port = DefaultPort
	}
	if len(command) > 0 {
		return command, dir, nil
	}
	if dir == "" {
		return nil, "", errors.New("no Clawdbot directory: set clawbridge.gateway.dir (or patcher.dirs) to your Clawdbot checkout or install")
	}
	entry := ""
	for _, c := range []string{
		filepath.Join(dir, "dist", "index.js"),
		filepath.Join(dir, "node_modules", "clawdbot", "dist", "index.js"),
		filepath.Join(dir, "node_modules", "openclaw", "dist", "index.js"),
		filepath.Join(dir, "node_modules", "moltbot", "dist", "index.js"),
	} {
		if _, err := os.Stat(c); err == nil {
			entry = c
			break
		}
	}
	if entry == "" {
		return nil, "", fmt.Errorf("no dist/index.js in %s (nor in its node_modules/clawdbot): build Clawdbot there (pnpm build) or set clawbridge.gateway.command", dir)
	}
	node, err := lookPath("node")
	if err != nil {
		return nil, "", errors.New("node is not on PATH: install Node.js 22 or set clawbridge.gateway.command")
	}
	return []string{node, entry, "gateway", "--port", strconv.Itoa(port), "--allow-unconfigured"}, dir, nil
}

// TUICommand is what a user types to open the Clawdbot TUI against the
// gateway started with argv, quoted for a POSIX shell so that it can be
// pasted as it is.
func TUICommand(argv []string) string {
	if len(argv) >= 2 && filepath.Base(argv[1]) == "index.js" {
		return shellquote.Join([]string{argv[0], argv[1], "tui"})
	}
	return "clawdbot tui"
}

// State returns the gateway's state as last reported.
func (g *Supervisor) State() status.GatewayState {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state
}

// Set changes the gateway's state and reports it: the daemon says on it
// why the gateway has not started yet.
func (g *Supervisor) Set(f func(*status.GatewayState)) {
	g.mu.Lock()
	f(&g.state)
	s := g.state
	g.mu.Unlock()
	if g.o.OnChange != nil {
		g.o.OnChange(s)
	}
}

// Run keeps the gateway running until ctx is done, then stops it.
func (g *Supervisor) Run(ctx context.Context) {
	delay := g.o.Backoff
	for ctx.Err() == nil {
		started := time.Now()
		err := g.once(ctx)
		if ctx.Err() != nil {
			break
		}
		if time.Since(started) > time.Minute {
			delay = g.o.Backoff
		}
		msg := "exited"
		if err != nil {
			msg = err.Error()
		}
		g.o.Logger.Warn("gateway: stopped; restarting", "reason", msg, "in", delay)
		g.Set(func(s *status.GatewayState) { s.Running, s.PID, s.Err = false, 0, msg; s.Restarts++ })
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
		delay = min(delay*2, g.o.MaxBackoff)
	}
	g.Set(func(s *status.GatewayState) { s.Running, s.PID = false, 0 })
}

// once runs the gateway until it exits or ctx is done; then it is sent
// SIGTERM, and SIGKILL if it has not exited within stopGrace.
func (g *Supervisor) once(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Dir(g.o.LogPath), 0o700); err != nil {
		return err
	}
	logf, err := os.OpenFile(g.o.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open gateway log: %w", err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "\n--- clawbridge: starting %q at %s\n", g.o.Argv, time.Now().Format(time.RFC3339))
	cmd := exec.Command(g.o.Argv[0], g.o.Argv[1:]...)
	cmd.Dir = g.o.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", g.o.Argv[0], err)
	}
	g.o.Logger.Info("gateway: started", "pid", cmd.Process.Pid, "log", g.o.LogPath)
	if err := recordGroup(g.o.RuntimeDir, cmd.Process.Pid, g.o.Argv); err != nil {
		g.o.Logger.Warn("gateway: a crash of clawbridge would leave it running", "err", err)
	}
	defer forgetGroup(g.o.RuntimeDir)
	g.Set(func(s *status.GatewayState) { s.Running, s.PID, s.Err = true, cmd.Process.Pid, "" })
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		return err
	case <-ctx.Done():
	}
	terminateGroup(cmd, false)
	select {
	case <-exited:
	case <-time.After(stopGrace):
		terminateGroup(cmd, true)
		<-exited
	}
	// Node's helpers may outlive the main process for a moment; whatever
	// of the group is left after the grace is killed.
	deadline := time.Now().Add(stopGrace)
	for groupAlive(cmd) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if groupAlive(cmd) {
		terminateGroup(cmd, true)
	}
	g.o.Logger.Info("gateway: stopped")
	return nil
}

// stopGrace is how long a child gets between SIGTERM and SIGKILL.
const stopGrace = 5 * time.Second
