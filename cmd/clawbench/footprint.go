package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// footprintRow is what one server costs a machine just by being there.
type footprintRow struct {
	name string
	// starts are the times from exec to the first HTTP answer, one per
	// fresh start.
	starts []time.Duration
	// idle is the resident memory a second after each start.
	idle []int64
	// Under streams concurrent streaming requests: the largest resident
	// memory sampled, and the process's peak (VmHWM) after.
	streams  int
	loadPeak int64
	hwm      int64
	load     cell
	// afterLoad is the resident memory a second after the load.
	afterLoad int64
	// size is what must be on disk to run it; sizeNote says what counts.
	size     int64
	sizeNote string
}

type footprintResult struct {
	rows []footprintRow
	// noTray says why the tray was not measured, if it was not.
	noTray string
}

// sessionBus is a private DBus session bus for the tray to register on.
type sessionBus struct {
	cmd     *exec.Cmd
	address string
}

// startSessionBus starts `dbus-daemon --session` of its own: the tray
// (StatusNotifierItem) needs a session bus; no panel has to host it for
// its memory to count.
func startSessionBus(ctx context.Context, work string) (*sessionBus, error) {
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		return nil, fmt.Errorf("no dbus-daemon for the tray's session bus (apt package dbus)")
	}
	cmd := exec.CommandContext(ctx, "dbus-daemon", "--session", "--nofork", "--print-address=1")
	cmd.SysProcAttr = childAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("dbus-daemon: %w", err)
	}
	line := make(chan string, 1)
	go func() {
		br := bufio.NewReader(out)
		l, _ := br.ReadString('\n')
		line <- strings.TrimSpace(l)
		io.Copy(io.Discard, br)
	}()
	select {
	case a := <-line:
		if a == "" {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, errors.New("dbus-daemon printed no address")
		}
		return &sessionBus{cmd: cmd, address: a}, nil
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, errors.New("dbus-daemon printed no address within 10s")
	}
}

func (b *sessionBus) stop() {
	b.cmd.Process.Kill()
	b.cmd.Wait()
}

// footprintStreams is the concurrency of the memory-under-load test.
const footprintStreams = 64

// runFootprint starts clawbridge (the daemon headless and with the tray,
// and the translator alone) and claude-code-router afresh o.starts times
// each, alternating, timing each start until the port answers and reading
// the idle memory; the last instance of each then serves 64 concurrent
// streams from the fake while its memory is sampled.
func runFootprint(ctx context.Context, o *options, work, fakeBase string, logf func(string, ...any)) (*footprintResult, error) {
	type server struct {
		row   *footprintRow
		start func(i int) (*proc, error)
		t     func(p *proc) target
	}
	res := &footprintResult{}
	var list []server
	add := func(row *footprintRow, start func(i int, listen string) (*proc, error)) {
		if fi, err := os.Stat(o.clawbridge); err == nil {
			row.size, row.sizeNote = fi.Size(), "the binary"
		}
		list = append(list, server{
			row: row,
			start: func(i int) (*proc, error) {
				port, err := freePort()
				if err != nil {
					return nil, err
				}
				return start(i, fmt.Sprintf("127.0.0.1:%d", port))
			},
			t: func(p *proc) target {
				return target{name: row.name, base: p.base, dialect: anthropicMessages, model: benchModel, prompt: benchPrompt, proc: p}
			},
		})
	}
	add(&footprintRow{name: "clawbridge daemon, headless"}, func(i int, listen string) (*proc, error) {
		return startClawbridgeAs(ctx, o, work, fmt.Sprintf("clawbridge-run-%d", i), "ollama/"+fakeModel, fakeBase, listen, daemonHeadless, "")
	})
	if bus, err := startSessionBus(ctx, work); err != nil {
		res.noTray = err.Error()
	} else {
		defer bus.stop()
		add(&footprintRow{name: "clawbridge daemon, with the tray"}, func(i int, listen string) (*proc, error) {
			return startClawbridgeAs(ctx, o, work, fmt.Sprintf("clawbridge-tray-%d", i), "ollama/"+fakeModel, fakeBase, listen, daemonTray, bus.address)
		})
	}
	add(&footprintRow{name: "clawbridge serve (translator only)"}, func(i int, listen string) (*proc, error) {
		return startClawbridgeAs(ctx, o, work, fmt.Sprintf("clawbridge-serve-%d", i), "ollama/"+fakeModel, fakeBase, listen, translatorOnly, "")
	})
	if o.ccrDir != "" {
		ccr := &footprintRow{name: "claude-code-router"}
		ccr.size, ccr.sizeNote = ccrSize(o)
		list = append(list, server{
			row:   ccr,
			start: func(i int) (*proc, error) { return startCCR(ctx, o, work, fmt.Sprintf("ccr-start-%d", i), fakeBase) },
			t: func(p *proc) target {
				return target{name: "claude-code-router", base: p.base, dialect: anthropicMessages, model: benchModel, prompt: benchPrompt, proc: p}
			},
		})
	}
	settle := time.Second
	if o.smoke {
		settle = 200 * time.Millisecond
	}
	hc := loadClient()
	defer hc.CloseIdleConnections()
	for i := range o.starts {
		for _, s := range list {
			p, err := s.start(i)
			if err != nil {
				return nil, err
			}
			s.row.starts = append(s.row.starts, p.ready)
			waitIdle(ctx, settle)
			rss, _, err := memory(p.pid())
			if err != nil {
				p.stop()
				return nil, err
			}
			s.row.idle = append(s.row.idle, rss)
			logf("footprint: %s start %d/%d: answered after %v, idle RSS %.1f MB", s.row.name, i+1, o.starts, p.ready.Round(time.Microsecond), float64(rss)/1e6)
			if i == o.starts-1 {
				if err := streamsMemory(ctx, o, hc, s.t(p), s.row, settle); err != nil {
					p.stop()
					return nil, err
				}
				logf("footprint: %s under %d streams: peak RSS %.1f MB, %.1f MB a moment after", s.row.name, s.row.streams, float64(s.row.loadPeak)/1e6, float64(s.row.afterLoad)/1e6)
			}
			p.stop()
		}
	}
	for _, s := range list {
		res.rows = append(res.rows, *s.row)
	}
	return res, nil
}

// streamsMemory runs footprintStreams concurrent streams through t while
// sampling its resident memory.
func streamsMemory(ctx context.Context, o *options, hc *http.Client, t target, row *footprintRow, settle time.Duration) error {
	l := load{stream: true, conc: footprintStreams, tokens: o.tokens, token: o.token, dur: max(2*o.cellTime, time.Second)}
	if o.requests > 0 {
		l.requests = footprintStreams * 2
	}
	var (
		peak int64
		wg   sync.WaitGroup
		done = make(chan struct{})
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, _, err := memory(t.proc.pid()); err == nil {
				peak = max(peak, rss)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	row.load = l.run(ctx, hc, t)
	close(done)
	wg.Wait()
	if row.load.errors > 0 {
		return fmt.Errorf("%s under %d streams: %d errors, first: %s", t.name, footprintStreams, row.load.errors, row.load.firstErr)
	}
	_, hwm, err := memory(t.proc.pid())
	if err != nil {
		return err
	}
	row.streams, row.loadPeak, row.hwm = footprintStreams, peak, hwm
	waitIdle(ctx, settle)
	row.afterLoad, _, err = memory(t.proc.pid())
	return err
}

// ccrSize is claude-code-router's install plus the Node binary it needs.
func ccrSize(o *options) (int64, string) {
	var total int64
	filepath.WalkDir(o.ccrDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	note := "its node_modules"
	if node, err := exec.LookPath(o.node); err == nil {
		if real, err := filepath.EvalSymlinks(node); err == nil {
			if fi, err := os.Stat(real); err == nil {
				total += fi.Size()
				note += " and the node binary"
			}
		}
	}
	return total, note
}
