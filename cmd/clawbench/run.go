package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamafake"
	"github.com/clawbridge/clawbridge/patcher/atomicfile"
)

// options are run's flags. Defaults come from the environment that
// .ci/bench.sh and `make provision` set up.
type options struct {
	clawbridge string // the built daemon
	// baselines are other clawbridge builds measured beside it in the
	// relay comparison: the before of a before/after, or a change being
	// tried.
	baselines []baseline
	// maxParallel is the max_parallel_requests clawbridge runs with; 0
	// leaves the default (baselines raise it: baselineMaxParallel).
	maxParallel int
	ccrDir      string // claude-code-router install ("" skips it)
	node        string // Node >= 20 for ccr
	ollamaBin   string // real Ollama for the TTFT comparison ("" skips it)
	// Clawdbot install and pnpm for the re-patch timing ("" skips it).
	clawdbotDir, pnpm string

	tokens   int           // tokens per answer
	token    string        // the fake's token text
	rounds   int           // interleaved rounds
	cellTime time.Duration // per target, per scenario, per round
	requests int           // when > 0, requests per cell instead of cellTime
	starts   int           // cold starts per server for the start-up time
	jobRuns  int           // re-patch and guard-restore repetitions

	micro string // go test -bench output to include
	// microBaseline is the same from the baseline's source ("" for none).
	microBaseline string
	profile       string // go tool pprof -top output to include (see profileResult)
	out           string // report file ("" only prints)
	smoke         bool
	// requirePeers turns a missing peer (ccr, Ollama, Clawdbot) into an
	// error instead of a skipped section.
	requirePeers bool
}

// load is the measured load of a scenario.
func (o *options) load(sc scenario) load {
	return load{stream: sc.stream, conc: sc.conc, tokens: o.tokens, token: o.token, dur: o.cellTime, requests: o.requests}
}

// warmup is the load that runs before measuring: connections opened,
// caches filled, Node's JIT warm.
func (o *options) warmup(sc scenario) load {
	l := o.load(sc)
	l.dur, l.requests = 300*time.Millisecond, 0
	if o.smoke {
		l.requests = sc.conc
	}
	return l
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return n
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return d
	}
	return def
}

// runBench is `clawbench run`.
func runBench(args []string, stdout, stderr io.Writer) error {
	o := &options{}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.clawbridge, "clawbridge", envOr("CLAWBRIDGE_BIN", "bin/clawbridge"), "clawbridge binary ($CLAWBRIDGE_BIN)")
	baselines := fs.String("baseline", os.Getenv("BENCH_BASELINE"), "other clawbridge binaries to relay beside it, for a before/after comparison: a path, or `label=path,label=path` ($BENCH_BASELINE)")
	fs.StringVar(&o.ccrDir, "ccr", os.Getenv("CLAWBRIDGE_CCR_DIR"), "claude-code-router install from .ci/provision-bench.sh ($CLAWBRIDGE_CCR_DIR); empty skips it")
	fs.StringVar(&o.node, "node", envOr("BENCH_NODE", "node"), "Node >= 20 that runs claude-code-router ($BENCH_NODE)")
	fs.StringVar(&o.ollamaBin, "ollama", os.Getenv("CLAWBRIDGE_OLLAMA_BIN"), "real ollama binary ($CLAWBRIDGE_OLLAMA_BIN); empty skips the real-Ollama comparison")
	fs.StringVar(&o.clawdbotDir, "clawdbot", os.Getenv("CLAWBRIDGE_CLAWDBOT_DIR"), "provisioned Clawdbot ($CLAWBRIDGE_CLAWDBOT_DIR); empty skips the re-patch timing")
	fs.StringVar(&o.pnpm, "pnpm", os.Getenv("CLAWBRIDGE_PNPM"), "pnpm 10 launcher ($CLAWBRIDGE_PNPM)")
	fs.IntVar(&o.tokens, "tokens", envInt("BENCH_TOKENS", 256), "tokens per answer ($BENCH_TOKENS)")
	fs.IntVar(&o.rounds, "rounds", envInt("BENCH_ROUNDS", 5), "interleaved rounds ($BENCH_ROUNDS)")
	fs.DurationVar(&o.cellTime, "time", envDuration("BENCH_TIME", time.Second), "load time per target, scenario and round ($BENCH_TIME)")
	fs.IntVar(&o.requests, "requests", envInt("BENCH_REQUESTS", 0), "requests per target, scenario and round instead of -time ($BENCH_REQUESTS)")
	fs.IntVar(&o.starts, "starts", envInt("BENCH_STARTS", 5), "cold starts per server ($BENCH_STARTS)")
	fs.IntVar(&o.jobRuns, "job-runs", envInt("BENCH_JOB_RUNS", 3), "re-patch and guard-restore repetitions ($BENCH_JOB_RUNS)")
	fs.StringVar(&o.micro, "micro", "", "file with `go test -bench -benchmem` output to include")
	fs.StringVar(&o.microBaseline, "micro-baseline", "", "the same from the baseline's source, for a before/after table")
	fs.StringVar(&o.profile, "profile", "", "file with `go tool pprof -top -cum -unit=ms` output of the relay benchmark to include")
	fs.StringVar(&o.out, "out", "", "write the report (markdown) here as well")
	fs.BoolVar(&o.smoke, "smoke", os.Getenv("BENCH_SMOKE") != "", "a quick run that only checks everything works ($BENCH_SMOKE)")
	fs.BoolVar(&o.requirePeers, "require-peers", os.Getenv("CLAWBRIDGE_REQUIRE_PEERS") != "", "fail when a peer is missing instead of skipping its section ($CLAWBRIDGE_REQUIRE_PEERS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.token = ollamafake.DefaultToken
	if o.smoke {
		o.rounds, o.requests, o.starts, o.jobRuns = 1, 4, 1, 1
		o.tokens = min(o.tokens, 32)
	}
	if o.tokens < 1 || o.rounds < 1 || o.starts < 1 || o.jobRuns < 1 || o.requests < 0 || o.requests == 0 && o.cellTime <= 0 {
		return errors.New("-tokens, -rounds, -starts, -job-runs and -time must be positive (and -requests not negative)")
	}
	if _, err := os.Stat(o.clawbridge); err != nil {
		return fmt.Errorf("clawbridge binary: %w (make build makes bin/clawbridge)", err)
	}
	if abs, err := filepath.Abs(o.clawbridge); err == nil {
		o.clawbridge = abs
	}
	var err error
	if o.baselines, err = parseBaselines(*baselines); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, "clawbench: "+format+"\n", args...)
	}
	work, err := os.MkdirTemp("", "clawbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	r := &report{opts: o, started: time.Now()}
	r.machine = describeMachine(o)
	for _, m := range []struct {
		file string
		res  **microResult
	}{{o.micro, &r.micro}, {o.microBaseline, &r.microBaseline}} {
		if m.file == "" {
			continue
		}
		b, err := os.ReadFile(m.file)
		if err != nil {
			return err
		}
		if *m.res, err = parseMicro(b); err != nil {
			return fmt.Errorf("%s: %w", m.file, err)
		}
	}
	if o.profile != "" {
		b, err := os.ReadFile(o.profile)
		if err != nil {
			return err
		}
		if r.profile, err = parseProfile(b); err != nil {
			return fmt.Errorf("%s: %w", o.profile, err)
		}
	}
	if err := r.run(ctx, work, logf); err != nil {
		return err
	}
	r.finished = time.Now()
	text := r.markdown()
	io.WriteString(stdout, text)
	if o.out != "" {
		if err := atomicfile.WriteFile(o.out, []byte(text), 0o644); err != nil {
			return err
		}
		logf("wrote %s", o.out)
	}
	return nil
}

// run measures everything the report holds, skipping (or failing, with
// requirePeers) the sections whose peer is missing.
func (r *report) run(ctx context.Context, work string, logf func(string, ...any)) error {
	o := r.opts
	if o.ccrDir == "" {
		if err := r.missing("claude-code-router", "no install: set CLAWBRIDGE_CCR_DIR (.ci/provision-bench.sh installs it)"); err != nil {
			return err
		}
	}
	s, err := startServers(ctx, o, work)
	if err != nil {
		return err
	}
	defer s.stop()
	logf("relay: fake %s, proxy %s, clawbridge %s", s.fake.base, s.proxy.base, s.clawbridge.base)
	if r.relay, err = runRelay(ctx, o, s, logf); err != nil {
		return err
	}
	if r.footprint, err = runFootprint(ctx, o, work, s.fake.base, logf); err != nil {
		return err
	}
	s.stop()

	if o.ollamaBin == "" {
		if err := r.missing("real Ollama", "no binary: set CLAWBRIDGE_OLLAMA_BIN (make provision builds one)"); err != nil {
			return err
		}
	} else if r.ollama, err = runRealOllama(ctx, o, work, logf); err != nil {
		return err
	}

	if r.guard, err = runGuardJob(ctx, o, work, logf); err != nil {
		return err
	}
	if o.clawdbotDir == "" || o.pnpm == "" {
		if err := r.missing("re-patch after pnpm install", "no Clawdbot: set CLAWBRIDGE_CLAWDBOT_DIR and CLAWBRIDGE_PNPM (make provision installs them)"); err != nil {
			return err
		}
	} else if r.repatch, r.exposed, err = runRepatchJob(ctx, o, work, logf); err != nil {
		return err
	}
	return nil
}

// missing records a section skipped for want of a peer, or fails.
func (r *report) missing(what, why string) error {
	if r.opts.requirePeers {
		return fmt.Errorf("%s: %s (CLAWBRIDGE_REQUIRE_PEERS is set, so this is an error)", what, why)
	}
	r.skipped = append(r.skipped, what+": "+why)
	return nil
}

// baseline is another clawbridge build relayed beside the one measured.
type baseline struct {
	label string // the row is "clawbridge, <label>"
	path  string
}

// parseBaselines reads -baseline: empty, one path (labelled "baseline
// build"), or comma-separated label=path entries.
func parseBaselines(spec string) ([]baseline, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	var out []baseline
	for _, entry := range strings.Split(spec, ",") {
		b := baseline{label: "baseline build", path: strings.TrimSpace(entry)}
		if label, path, ok := strings.Cut(entry, "="); ok {
			b.label, b.path = strings.TrimSpace(label), strings.TrimSpace(path)
		}
		if b.label == "" || b.path == "" {
			return nil, fmt.Errorf("-baseline entry %q: want a path or label=path", entry)
		}
		for _, other := range out {
			if other.label == b.label {
				return nil, fmt.Errorf("-baseline: label %q twice", b.label)
			}
		}
		if _, err := os.Stat(b.path); err != nil {
			return nil, fmt.Errorf("baseline binary: %w", err)
		}
		if abs, err := filepath.Abs(b.path); err == nil {
			b.path = abs
		}
		out = append(out, b)
	}
	return out, nil
}
