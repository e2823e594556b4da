package main

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// report is everything one run measured, and writes docs/benchmarks.md.
type report struct {
	opts              *options
	started, finished time.Time
	machine           machine

	micro *microResult
	// microBaseline is micro from the baseline's source, if given.
	microBaseline *microResult
	profile       *profileResult
	relay         *relayResult
	footprint     *footprintResult
	ollama        *ollamaResult
	guard         *jobResult
	repatch       *jobResult
	exposed       *jobResult
	// skipped lists sections left out for want of a peer, and why.
	skipped []string
}

// machine describes where the numbers come from.
type machine struct {
	cpu                 string
	cores               int
	memory              string
	kernel              string
	goVersion           string // clawbench's toolchain
	clawbridgeGo        string // the toolchain that built the measured binary
	clawbridgeVersion   string
	node, ccrVersion    string
	loadBefore, loadEnd string
	share               *machineShare
}

func describeMachine(o *options) machine {
	m := machine{cores: runtime.NumCPU(), goVersion: runtime.Version(), cpu: "unknown CPU"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			var kb int64
			if n, _ := fmt.Sscanf(line, "MemTotal: %d kB", &kb); n == 1 {
				m.memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if bi, err := buildinfo.ReadFile(o.clawbridge); err == nil {
		m.clawbridgeGo = bi.GoVersion
	}
	if out, err := exec.Command(o.clawbridge, "version").Output(); err == nil {
		m.clawbridgeVersion = firstLine(string(out))
	}
	if out, err := exec.Command(o.node, "--version").Output(); err == nil {
		m.node = firstLine(string(out))
	}
	if o.ccrDir != "" {
		if b, err := os.ReadFile(strings.TrimSuffix(ccrCLI(o.ccrDir), "dist/cli.js") + "package.json"); err == nil {
			if i := strings.Index(string(b), `"version": "`); i >= 0 {
				m.ccrVersion, _, _ = strings.Cut(string(b[i+len(`"version": "`):]), `"`)
			}
		}
	}
	m.loadBefore = loadAvg()
	m.share = startShare()
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// Formatting helpers: durations in the unit that reads best, sizes in MB
// (10^6 bytes, as the issue quotes them).
func fmtDur(d time.Duration) string {
	switch {
	case d < 0:
		return "−" + fmtDur(-d)
	case d == 0:
		return "0"
	case d < 10*time.Microsecond:
		return fmt.Sprintf("%.2f µs", float64(d)/1e3)
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/1e3)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

func fmtMB(b int64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MB", float64(b)/1e6)
}

func fmtRate(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

func fmtRatio(x float64) string {
	if x == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", x)
}

// fmtNum formats a benchmark value compactly.
func fmtNum(x float64) string {
	switch {
	case x == 0:
		return "0"
	case x >= 1000:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

// cellSummary condenses a target's cells of one scenario: medians over
// rounds for the rates, percentiles over every request of every round,
// and the CPU time summed over rounds per 1,000 tokens.
type cellSummary struct {
	rps, tps          float64
	ttft50, ttft99    time.Duration
	total50, total99  time.Duration
	cpuPer1k          time.Duration
	requests, errors  int
	firstErr          string
	rpsRuns, tpsRuns  []float64
	tokens            int64
	reads, writes     int64
	cpu, wall         time.Duration
	ttftAll, totalAll []time.Duration
}

func summarize(cells []cell) cellSummary {
	var s cellSummary
	for _, c := range cells {
		secs := c.wall.Seconds()
		if secs > 0 {
			s.rpsRuns = append(s.rpsRuns, float64(c.requests)/secs)
			s.tpsRuns = append(s.tpsRuns, float64(c.tokens)/secs)
		}
		s.requests += c.requests
		s.errors += c.errors
		if s.firstErr == "" {
			s.firstErr = c.firstErr
		}
		s.tokens += c.tokens
		s.reads += c.reads
		s.writes += c.writes
		s.cpu += c.cpu
		s.wall += c.wall
		s.ttftAll = append(s.ttftAll, c.ttft...)
		s.totalAll = append(s.totalAll, c.total...)
	}
	s.rps, s.tps = median(s.rpsRuns), median(s.tpsRuns)
	s.ttft50, s.ttft99 = percentile(s.ttftAll, 50), percentile(s.ttftAll, 99)
	s.total50, s.total99 = percentile(s.totalAll, 50), percentile(s.totalAll, 99)
	if s.tokens > 0 {
		s.cpuPer1k = time.Duration(float64(s.cpu) / float64(s.tokens) * 1000)
	}
	return s
}

// writesPerToken is the target's write system calls per token relayed.
func (s cellSummary) writesPerToken() float64 {
	if s.tokens == 0 {
		return 0
	}
	return float64(s.writes) / float64(s.tokens)
}

// writesPerRequest is the target's write system calls per request.
func (s cellSummary) writesPerRequest() float64 {
	if s.requests == 0 {
		return 0
	}
	return float64(s.writes) / float64(s.requests)
}

// markdown renders the report.
func (r *report) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	o := r.opts
	m := r.machine
	w("# Benchmarks\n\n")
	w("Generated by `make bench` (`.ci/bench.sh`, which runs `cmd/clawbench`) on %s; do not edit, run it again. ", r.started.UTC().Format("2006-01-02 15:04 MST"))
	w("Every number is a median or a percentile over interleaved rounds of one run on one machine, where the load generator, the relay and the upstream share the cores: compare the ratios between rows, which the machine's speed cancels out of, rather than the absolute values.\n\n")
	if o.smoke {
		w("**Smoke run** (`BENCH_SMOKE=1`): a handful of requests to check that everything works; these numbers mean nothing.\n\n")
	}
	w("| | |\n|---|---|\n")
	w("| Date | %s to %s |\n", r.started.UTC().Format("2006-01-02 15:04:05 MST"), r.finished.UTC().Format("15:04:05 MST"))
	w("| Machine | %s, %d cores, %s memory, %s |\n", m.cpu, m.cores, m.memory, m.kernel)
	w("| Load average | %s before, %s after (the benchmark's own load counts here too) |\n", m.loadBefore, loadAvg())
	shared := 0.0
	if m.share != nil {
		if other, avail, ok := m.share.others(m.cores); ok {
			shared = other.Seconds() / avail.Seconds()
			w("| Other work on the machine | %.1f s of CPU time used by processes other than the benchmark's, of the %.0f s the %d cores had while `clawbench run` ran (%.0f%%) |\n",
				other.Seconds(), avail.Seconds(), m.cores, 100*shared)
		}
	}
	w("| Go | %s (clawbridge built with %s) |\n", m.goVersion, orDash(m.clawbridgeGo))
	w("| clawbridge | %s |\n", orDash(m.clawbridgeVersion))
	for _, bl := range o.baselines {
		version := ""
		if out, err := exec.Command(bl.path, "version").Output(); err == nil {
			version = firstLine(string(out)) + ", "
		}
		w("| Baseline build | %s%s (`BENCH_BASELINE`, relayed beside it as \"clawbridge, %s\") |\n", version, bl.path, bl.label)
	}
	if m.ccrVersion != "" {
		w("| claude-code-router | %s on Node %s, its log off (`\"LOG\": false`, its fastest setting) |\n", m.ccrVersion, m.node)
	}
	load := fmt.Sprintf("%v per target, scenario and round", o.cellTime)
	if o.requests > 0 {
		load = fmt.Sprintf("%d requests per target, scenario and round", o.requests)
	}
	w("| Settings | %s, %s, %d tokens per answer (token %q) |\n\n", plural(o.rounds, "round"), load, o.tokens, o.token)
	if shared > 0.1 {
		w("**This run shared the machine**: other processes took %.0f%% of its CPU time while it ran. Absolute numbers are lower and noisier than on an idle machine; the rows of each table were measured interleaved, round after round, so their ratios hold better.\n\n", 100*shared)
	}

	r.writeSummary(&b)
	r.writeGaps(&b)
	r.writeMicro(&b)
	r.writeMicroBaseline(&b)
	r.writeRelay(&b)
	r.writeProfile(&b)
	r.writeOllama(&b)
	r.writeFootprint(&b)
	r.writeJobs(&b)
	if len(r.skipped) > 0 {
		w("## Not measured\n\n")
		for _, s := range r.skipped {
			w("- %s\n", s)
		}
		w("\n")
	}
	r.writeRaw(&b)
	w("## Reproduce\n\n")
	w("`make bench` builds clawbridge, installs claude-code-router 1.0.73 (`.ci/provision-bench.sh`) and the test peers (`make provision`) when missing, runs the micro-benchmarks and `clawbench run`, prints this report and writes it to `docs/benchmarks.md`. ")
	w("Knobs: `BENCH_TIME` (load time per cell, default 1s), `BENCH_REQUESTS` (requests per cell instead), `BENCH_ROUNDS` (default 5), `BENCH_TOKENS` (default 256), `BENCH_STARTS` (default 5), `BENCH_JOB_RUNS` (default 3), `BENCH_COUNT` and `BENCH_MICRO_TIME` (micro-benchmark runs and time), `BENCH_SMOKE=1` (a seconds-long check), `BENCH_OUT` (where the report goes), `BENCH_BASELINE` (other clawbridge binaries relayed beside this one, `label=path,label=path`: the before of a before/after, or a change being tried), `BENCH_BASELINE_SRC` (the source tree of a baseline, e.g. `git worktree add /tmp/before <commit>`: built and relayed beside this one, and its micro-benchmarks run for a before/after table) and `BENCH_BASELINE_LABEL` (its label).\n")
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// target is one of the goals with what was measured.
type goal struct {
	what, measured string
	met            bool
	known          bool // false: not measured in this run
}

func (r *report) goals() []goal {
	var gs []goal
	add := func(what, measured string, met bool) { gs = append(gs, goal{what, measured, met, true}) }
	if rr := r.relay; rr != nil {
		cb := indexOf(rr.targets, "clawbridge")
		ccr := indexOf(rr.targets, "claude-code-router")
		s32 := summarize(rr.cells[1][cb])
		f32 := summarize(rr.cells[1][rr.floor])
		ratio := s32.tps / f32.tps
		m := fmt.Sprintf("%s tokens/s = %s the floor's %s", fmtRate(s32.tps), fmtRatio(ratio), fmtRate(f32.tps))
		if ccr >= 0 {
			c32 := summarize(rr.cells[1][ccr])
			m += fmt.Sprintf(", %s claude-code-router's", fmtRatio(s32.tps/c32.tps))
		}
		add("Streaming at concurrency 32: at least 0.8× the reverse-proxy floor in tokens/s", m, ratio >= 0.8)
		perToken := s32.cpuPer1k / 1000
		add("Streaming: at most 6 µs of clawbridge CPU per relayed token", fmtDur(perToken)+" per token", perToken <= 6*time.Microsecond)
		n1 := summarize(rr.cells[2][cb])
		nf1 := summarize(rr.cells[2][rr.floor])
		add("Non-streaming at concurrency 1: p50 no worse than the floor's", fmt.Sprintf("%s vs %s", fmtDur(n1.total50), fmtDur(nf1.total50)), n1.total50 <= nf1.total50)
		n32 := summarize(rr.cells[3][cb])
		nf32 := summarize(rr.cells[3][rr.floor])
		add("Non-streaming at concurrency 32: at least the floor's requests/s", fmt.Sprintf("%s vs %s req/s", fmtRate(n32.rps), fmtRate(nf32.rps)), n32.rps >= nf32.rps)
	}
	if ol := r.ollama; ol != nil {
		t, tot := ol.ratios()
		add("Real Ollama: TTFT within 2% of Ollama's own /v1/messages", fmtRatio(t), t <= 1.02)
		add("Real Ollama: total time within 2% of Ollama's own /v1/messages", fmtRatio(tot), tot <= 1.02)
	}
	if fp := r.footprint; fp != nil && len(fp.rows) > 0 {
		cb := fp.rows[0]
		idle := int64(median(int64s(cb.idle)))
		add("Idle RSS at most 15 MB (the daemon, headless)", fmtMB(idle), idle <= 15e6)
		start := medianDuration(cb.starts)
		add("Cold start under 30 ms", fmtDur(start), start < 30*time.Millisecond)
		add("RSS under 64 streams at most 40 MB", fmtMB(cb.loadPeak), cb.loadPeak <= 40e6)
	}
	if j := r.repatch; j != nil {
		d := medianDuration(j.latencies)
		add("Re-patch within 1.5 s of the install's last write", fmtDur(d)+" (median)", d <= 1500*time.Millisecond)
	}
	if j := r.guard; j != nil {
		d := medianDuration(j.latencies)
		add("Guard restore within 300 ms", fmtDur(d)+" (median)", d <= 300*time.Millisecond)
	}
	return gs
}

func (r *report) writeSummary(b *strings.Builder) {
	gs := r.goals()
	if len(gs) == 0 {
		return
	}
	fmt.Fprintf(b, "## Targets (issue 9)\n\n| Target | Measured | |\n|---|---|---|\n")
	for _, g := range gs {
		mark := "met"
		if !g.met {
			mark = "**missed**"
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", g.what, g.measured, mark)
	}
	fmt.Fprintf(b, "\n")
}

// writeGaps explains, with this run's numbers, the targets it missed.
func (r *report) writeGaps(b *strings.Builder) {
	var paras []string
	if rr := r.relay; rr != nil {
		cb := indexOf(rr.targets, "clawbridge")
		cb32, f32, d32 := summarize(rr.cells[1][cb]), summarize(rr.cells[1][rr.floor]), summarize(rr.cells[1][rr.direct])
		if ratio := cb32.tps / f32.tps; ratio < 0.8 {
			p := fmt.Sprintf("**Streaming at concurrency 32** (%s the floor): per token clawbridge spends %s of CPU against the reverse proxy's %s, and makes %s write system calls against its %s. ",
				fmtRatio(ratio), fmtDur(cb32.cpuPer1k/1000), fmtDur(f32.cpuPer1k/1000), fmtNum(cb32.writesPerToken()), fmtNum(f32.writesPerToken()))
			if cb32.writesPerToken() > 2*f32.writesPerToken() {
				p += fmt.Sprintf("The reverse proxy copies whatever it has read in one write, so when tokens queue up one write carries about %.0f of them; this clawbridge writes far more often: its stream loop (`daemon/translator/relay.go`) should write the chunks already waiting in its channel together and flush once.",
					1/max(f32.writesPerToken(), 1e-9))
			} else {
				p += "Writes are not the difference: like the reverse proxy, clawbridge writes the tokens that queued up together. " +
					"The difference is the work a translator cannot skip: the reverse proxy copies bytes, while clawbridge reads each NDJSON line, decodes it, runs it through the answer state machine and encodes an SSE event, and hands each chunk from its upstream goroutine to its stream loop. " +
					"The load generator, the fake and the relay share two cores, so every microsecond the relay spends per token is taken from the fake's and the client's share, and the throughput follows the CPU per token."
			}
			if pr := r.profile; pr != nil {
				p += fmt.Sprintf(" In the profile below, decoding Ollama's lines (`tokenLineDecoder`) is %.0f%% of clawbridge's CPU, reading them (`syscall.read`) %.0f%%, the handoff (`runtime.selectgo`) %.0f%%, and writing and flushing (`syscall.write`) %.0f%%.",
					100*pr.share("github.com/clawbridge/clawbridge/daemon/upstream/ollama.(*tokenLineDecoder).decode"), 100*pr.share("syscall.read"), 100*pr.share("runtime.selectgo"), 100*pr.share("syscall.write"))
			}
			p += fmt.Sprintf(" Against a real model this ceiling is far away: a stream at 30 tokens/s, a fast local model, costs clawbridge %s of CPU a second at this rate, %.3f%% of one core.", fmtDur(30*cb32.cpuPer1k/1000), 100*30*float64(cb32.cpuPer1k/1000)/float64(time.Second))
			paras = append(paras, p)
		}
		n1, nf1 := summarize(rr.cells[2][cb]), summarize(rr.cells[2][rr.floor])
		n32, nf32 := summarize(rr.cells[3][cb]), summarize(rr.cells[3][rr.floor])
		d1 := summarize(rr.cells[0][rr.direct])
		if n1.total50 > nf1.total50 || n32.rps < nf32.rps {
			reads := 0.0
			if n1.requests > 0 {
				reads = float64(n1.reads) / float64(n1.requests)
			}
			paras = append(paras, fmt.Sprintf("**Not streaming**: clawbridge asks Ollama for a streamed answer even when its client does not stream (`OllamaRequest` in `daemon/anthropic/request.go`), so that stop sequences, tool-call repair and the idle timeout act as tokens arrive and a stop sequence ends generation early. "+
				"Against the fake that turns one JSON body into %d separately flushed lines, read here with %.0f read system calls per request. The fake alone takes %s (p50) to stream them at concurrency 1, against the %s the floor needs for the whole non-streamed exchange, and at concurrency 32 streams at most %s answers a second (the fake, direct, streaming), fewer than the floor's %s req/s: neither target can be met while the upstream answer is streamed, however little the relay costs. "+
				"With a real model the difference vanishes: Ollama produces tokens thousands of times slower than this fake, and reading them as they come costs microseconds each.",
				r.opts.tokens, reads, fmtDur(d1.total50), fmtDur(nf1.total50), fmtRate(d32.rps), fmtRate(nf32.rps)))
		}
	}
	if ol := r.ollama; ol != nil {
		t, tot := ol.ratios()
		if t > 1.02 || tot > 1.02 {
			first := func(s sample) time.Duration { return s.ttft }
			whole := func(s sample) time.Duration { return s.total }
			perToken := (ol.medianOf(0, whole) - ol.medianOf(1, whole)) / time.Duration(ol.tokens)
			gen := (ol.medianOf(1, whole) - ol.medianOf(1, first)) / time.Duration(max(1, ol.tokens-1))
			p := fmt.Sprintf("**Real Ollama** (TTFT %s, total %s): Ollama's own `/v1/messages` translates inside Ollama's process; clawbridge is a process of its own, a hop that costs %s per token here while this tiny model generates a token every %s.",
				fmtRatio(t), fmtRatio(tot), fmtDur(perToken), fmtDur(gen))
			if len(ol.samples) > 3 {
				p += fmt.Sprintf(" Before the first token clawbridge adds %s to Ollama's own path (converting the request, a second connection); the Go reverse proxy's first token differs from Ollama's direct one by %s, which is how far a median of these requests moves on this machine with nothing to translate.",
					fmtDur(ol.medianOf(0, first)-ol.medianOf(1, first)), fmtDur(ol.medianOf(3, first)-ol.medianOf(2, first)))
				hop := (ol.medianOf(3, whole) - ol.medianOf(2, whole)) / time.Duration(ol.tokens)
				p += fmt.Sprintf(" A Go reverse proxy, which translates nothing, costs %s per token in front of the same Ollama", fmtDur(hop))
				if hop >= perToken*7/10 {
					p += ": the gap is the hop itself, on a 2-core machine that Ollama's runner, its server, the relay and the client share, not the translation."
				} else {
					p += fmt.Sprintf(": the hop itself, on a 2-core machine that Ollama's runner, its server, the relay and the client share, accounts for %.0f%% of the gap; the rest is clawbridge's own work per token (decoding the line, the answer state machine, the handoff between its upstream goroutine and its stream loop, the write: see the profile below).",
						100*max(0, float64(hop))/float64(perToken))
				}
			}
			p += fmt.Sprintf(" At 30 tokens/s, a fast local model, the same %s is %.2f%% of a token's time.", fmtDur(perToken), 100*float64(perToken)/float64(time.Second/30))
			paras = append(paras, p)
		}
	}
	if len(paras) == 0 {
		return
	}
	fmt.Fprintf(b, "### Why the missed targets are missed\n\n%s\n\n", strings.Join(paras, "\n\n"))
}

func (r *report) writeMicro(b *strings.Builder) {
	if r.micro == nil {
		return
	}
	fmt.Fprintf(b, "## 1. Hot paths (`go test -bench -benchmem`)\n\n")
	fmt.Fprintf(b, "Medians of the runs (`-count`). StreamToken* and EncodeTextDelta take one decoded Ollama chunk through the answer state machine and the SSE encoder; RelayToken (Anthropic's `/v1/messages`) and RelayTokenOpenAI (`/v1/chat/completions`) relay whole 256-token answers from Ollama's NDJSON, through the client's reader, to the written frames, in memory (ns/token and allocs/token are per token); ReadStreamToken is the client's reader alone and DecodeTokenLine `encoding/json` decoding one token line; RelayStream256 and RelayComplete256 add loopback HTTP on both sides, with the fake upstream and the client in the same process. ")
	fmt.Fprintf(b, "The conversion benchmarks take a Clawdbot-sized request (23 tools, a 23,000-character system prompt, 81 messages of history with tool calls and results, about 90 KB). RepairScan* scan a 16 KB answer for tool calls written as text.\n\n")
	fmt.Fprintf(b, "| Package | Benchmark | ns/op | B/op | allocs/op | other |\n|---|---|---:|---:|---:|---|\n")
	for _, mb := range r.micro.benches {
		cols := make([]string, 3)
		for i, u := range []string{"ns/op", "B/op", "allocs/op"} {
			if v, ok := mb.median(u); ok {
				cols[i] = fmtNum(v)
			} else {
				cols[i] = "–"
			}
		}
		var other []string
		for _, u := range mb.units {
			if u == "ns/op" || u == "B/op" || u == "allocs/op" {
				continue
			}
			v, _ := mb.median(u)
			other = append(other, fmtNum(v)+" "+u)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", shortPkg(mb.pkg), mb.name, cols[0], cols[1], cols[2], strings.Join(other, ", "))
	}
	fmt.Fprintf(b, "\n")
}

// writeMicroBaseline compares the benchmarks that the baseline's source
// has too, in the same package or, when only one has the name, in
// another.
func (r *report) writeMicroBaseline(b *strings.Builder) {
	if r.micro == nil || r.microBaseline == nil {
		return
	}
	before := map[string]*microBench{}
	byName := map[string][]*microBench{}
	for _, mb := range r.microBaseline.benches {
		before[mb.pkg+"."+mb.name] = mb
		byName[mb.name] = append(byName[mb.name], mb)
	}
	type row struct{ name, cols string }
	var rows []row
	for _, mb := range r.micro.benches {
		old := before[mb.pkg+"."+mb.name]
		if old == nil && len(byName[mb.name]) == 1 {
			// The benchmark moved to another package since the baseline
			// (daemon/anthropic and daemon/upstream came out of others).
			old = byName[mb.name][0]
		}
		if old == nil {
			continue
		}
		var cols []string
		for _, u := range []string{"ns/op", "allocs/op", "ns/token", "allocs/token"} {
			v, ok1 := mb.median(u)
			w, ok2 := old.median(u)
			if !ok1 || !ok2 {
				cols = append(cols, "–")
				continue
			}
			c := fmtNum(w) + " → " + fmtNum(v)
			if w > 0 && u != "allocs/op" && u != "allocs/token" {
				c += fmt.Sprintf(" (%s)", fmtRatio(v/w))
			}
			cols = append(cols, c)
		}
		rows = append(rows, row{mb.name, strings.Join(cols, " | ")})
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "Before → after: the same benchmarks run in the baseline's source tree (`BENCH_BASELINE_SRC`), in the same run, medians of the runs.\n\n")
	fmt.Fprintf(b, "| Benchmark | ns/op | allocs/op | ns/token | allocs/token |\n|---|---:|---:|---:|---:|\n")
	for _, x := range rows {
		fmt.Fprintf(b, "| %s | %s |\n", x.name, x.cols)
	}
	fmt.Fprintf(b, "\n")
}

func (r *report) writeRelay(b *strings.Builder) {
	rr := r.relay
	if rr == nil {
		return
	}
	o := r.opts
	fmt.Fprintf(b, "## 2. Relay overhead against a fast fake upstream\n\n")
	fmt.Fprintf(b, "The fake (`daemon/upstream/ollama/ollamafake`) streams %d tokens as fast as it can, each its own flushed NDJSON line (Ollama's `/api/chat`) or SSE event (OpenAI's `/v1/chat/completions`, for claude-code-router). ", o.tokens)
	fmt.Fprintf(b, "The fake and the Go reverse proxy are hit with Ollama's own API; clawbridge and claude-code-router with Anthropic's `/v1/messages`, which they translate. ")
	fmt.Fprintf(b, "Each server is its own process; CPU is its user+system time from `/proc/<pid>/stat` over all rounds, per 1,000 tokens relayed (for the fake: generated). ")
	fmt.Fprintf(b, "Writes are its write system calls (`syscw` in `/proc/<pid>/io`: to the client and to the upstream) per token or per request. ")
	fmt.Fprintf(b, "req/s and tokens/s are medians of the rounds; latency percentiles are over every request of every round; × floor compares with the Go reverse proxy (tokens/s streaming, req/s not).\n\n")
	for si, sc := range scenarios {
		floor := summarize(rr.cells[si][rr.floor])
		fmt.Fprintf(b, "### %s\n\n", capitalize(sc.String()))
		if sc.stream {
			fmt.Fprintf(b, "| Target | req/s | tokens/s | × floor | TTFT p50 | TTFT p99 | total p50 | total p99 | CPU per 1k tokens | writes per token | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		} else {
			fmt.Fprintf(b, "| Target | req/s | × floor | p50 | p99 | CPU per 1k tokens | writes per request | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
		}
		for ti, name := range rr.targets {
			s := summarize(rr.cells[si][ti])
			if sc.stream {
				fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |\n", name, fmtRate(s.rps), fmtRate(s.tps), fmtRatio(s.tps/floor.tps),
					fmtDur(s.ttft50), fmtDur(s.ttft99), fmtDur(s.total50), fmtDur(s.total99), fmtDur(s.cpuPer1k), fmtNum(s.writesPerToken()), s.errors)
			} else {
				fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %d |\n", name, fmtRate(s.rps), fmtRatio(s.rps/floor.rps),
					fmtDur(s.total50), fmtDur(s.total99), fmtDur(s.cpuPer1k), fmtNum(s.writesPerRequest()), s.errors)
			}
		}
		fmt.Fprintf(b, "\n")
		for ti, name := range rr.targets {
			if s := summarize(rr.cells[si][ti]); s.errors > 0 {
				fmt.Fprintf(b, "First error of %s: `%s`\n\n", name, s.firstErr)
			}
		}
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ratios are clawbridge's median TTFT and total time over Ollama's own.
func (ol *ollamaResult) ratios() (ttft, total float64) {
	if len(ol.samples) < 2 {
		return 0, 0
	}
	t := func(i int, f func(sample) time.Duration) float64 {
		ds := make([]time.Duration, len(ol.samples[i]))
		for k, s := range ol.samples[i] {
			ds[k] = f(s)
		}
		return float64(medianDuration(ds))
	}
	first := func(s sample) time.Duration { return s.ttft }
	whole := func(s sample) time.Duration { return s.total }
	return t(0, first) / t(1, first), t(0, whole) / t(1, whole)
}

// medianOf is the median of one timing of a target's samples.
func (ol *ollamaResult) medianOf(i int, f func(sample) time.Duration) time.Duration {
	ds := make([]time.Duration, len(ol.samples[i]))
	for k, s := range ol.samples[i] {
		ds[k] = f(s)
	}
	return medianDuration(ds)
}

func (r *report) writeOllama(b *strings.Builder) {
	ol := r.ollama
	if ol == nil {
		return
	}
	fmt.Fprintf(b, "## 3. Against a real Ollama\n\n")
	fmt.Fprintf(b, "Ollama %s (built by `.ci/provision-ollama.sh`) serving the tiny scripted model `%s` of `daemon/upstream/ollama/ollamatest`, whose loop script streams until `max_tokens` stops it: exactly %d tokens per answer. One request at a time, rotating between clawbridge (Anthropic `/v1/messages` → Ollama's `/api/chat`), Ollama's own Anthropic-compatible `/v1/messages` and, for reference, Ollama's `/api/chat` hit directly and through a Go reverse proxy (`httputil.ReverseProxy`, its own process: the least any hop costs); same prompt, and all answered the same text. %d requests each.\n\n",
		orDash(ol.version), ol.model, ol.tokens, len(ol.samples[0]))
	fmt.Fprintf(b, "| Path | TTFT p50 | TTFT p90 | total p50 | total p90 |\n|---|---:|---:|---:|---:|\n")
	for i, name := range ol.targets {
		var ttft, total []time.Duration
		for _, s := range ol.samples[i] {
			ttft = append(ttft, s.ttft)
			total = append(total, s.total)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", name, fmtDur(medianDuration(ttft)), fmtDur(percentile(ttft, 90)), fmtDur(medianDuration(total)), fmtDur(percentile(total, 90)))
	}
	t, tot := ol.ratios()
	fmt.Fprintf(b, "\nclawbridge ÷ Ollama (medians): TTFT %s, total %s.", fmtRatio(t), fmtRatio(tot))
	first := func(s sample) time.Duration { return s.ttft }
	whole := func(s sample) time.Duration { return s.total }
	gen := ol.medianOf(1, whole) - ol.medianOf(1, first)
	added := ol.medianOf(0, whole) - ol.medianOf(1, whole)
	fmt.Fprintf(b, " In absolute terms clawbridge adds %s to the first token and %s to the whole answer: %s per token, while this model takes %s to generate one",
		fmtDur(ol.medianOf(0, first)-ol.medianOf(1, first)), fmtDur(added), fmtDur(added/time.Duration(ol.tokens)), fmtDur(gen/time.Duration(max(1, ol.tokens-1))))
	if len(ol.samples) > 3 {
		hop := ol.medianOf(3, whole) - ol.medianOf(2, whole)
		fmt.Fprintf(b, "; the reverse proxy, which only copies bytes, adds %s to the first token and %s to the whole answer",
			fmtDur(ol.medianOf(3, first)-ol.medianOf(2, first)), fmtDur(hop))
	}
	fmt.Fprintf(b, ".\n\n")
}

func (r *report) writeFootprint(b *strings.Builder) {
	fp := r.footprint
	if fp == nil {
		return
	}
	fmt.Fprintf(b, "## 4. Footprint\n\n")
	fmt.Fprintf(b, "Each server started afresh %s, alternating; start-up runs from exec until the port answers an HTTP request (polled every millisecond), idle memory is the resident set a second later. The last instance then serves %d concurrent streams of %d tokens from the fake while its resident set is sampled every 20 ms.\n\n", plural(r.opts.starts, "time"), footprintStreams, r.opts.tokens)
	fmt.Fprintf(b, "| | %s |\n|---|%s\n", joinNames(fp.rows), strings.Repeat("---:|", len(fp.rows)))
	row := func(label string, f func(footprintRow) string) {
		cols := make([]string, len(fp.rows))
		for i, x := range fp.rows {
			cols[i] = f(x)
		}
		fmt.Fprintf(b, "| %s | %s |\n", label, strings.Join(cols, " | "))
	}
	row("Start-up until the port answers (median)", func(x footprintRow) string { return fmtDur(medianDuration(x.starts)) })
	row("Idle RSS a second after start (median)", func(x footprintRow) string { return fmtMB(int64(median(int64s(x.idle)))) })
	row(fmt.Sprintf("RSS under %d streams (peak sampled)", footprintStreams), func(x footprintRow) string { return fmtMB(x.loadPeak) })
	row("Peak RSS of the process (VmHWM)", func(x footprintRow) string { return fmtMB(x.hwm) })
	row("RSS a second after the load", func(x footprintRow) string { return fmtMB(x.afterLoad) })
	row(fmt.Sprintf("tokens/s during the %d streams", footprintStreams), func(x footprintRow) string {
		return fmtRate(float64(x.load.tokens) / x.load.wall.Seconds())
	})
	row("On disk", func(x footprintRow) string { return fmt.Sprintf("%s (%s)", fmtMB(x.size), x.sizeNote) })
	fmt.Fprintf(b, "\nThe daemon is `clawbridge run` with a home of its own (so it finds no Clawdbot to patch); with the tray, its icon is registered on a private DBus session bus that no panel hosts. The translator alone is `clawbridge serve`. claude-code-router's size counts its node_modules and the Node binary it needs.\n\n")
	if fp.noTray != "" {
		fmt.Fprintf(b, "The tray was not measured: %s.\n\n", fp.noTray)
	}
}

func joinNames(rows []footprintRow) string {
	var names []string
	for _, x := range rows {
		names = append(names, x.name)
	}
	return strings.Join(names, " | ")
}

func int64s(xs []int64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

func (r *report) writeJobs(b *strings.Builder) {
	if r.guard == nil && r.repatch == nil {
		return
	}
	fmt.Fprintf(b, "## 5. The daemon's own jobs\n\n")
	fmt.Fprintf(b, "The patcher's keeper and the guard as the daemon runs them (their default debounce: 300 ms and 150 ms of quiet), in this process, against real files.\n\n")
	fmt.Fprintf(b, "| Job | median | max | runs |\n|---|---:|---:|---:|\n")
	for _, j := range []*jobResult{r.repatch, r.exposed, r.guard} {
		if j == nil {
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %d |\n", j.what, fmtDur(medianDuration(j.latencies)), fmtDur(maxDuration(j.latencies)), len(j.latencies))
	}
	fmt.Fprintf(b, "\n")
}

func maxDuration(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

// writeRaw is the appendix: every measured value before summarising.
func (r *report) writeRaw(b *strings.Builder) {
	fmt.Fprintf(b, "## Raw numbers\n\n")
	if rr := r.relay; rr != nil {
		fmt.Fprintf(b, "Relay, one line per target, scenario and round: requests, errors, tokens, wall time, the target's CPU time and its read and write system calls.\n\n```\n")
		for si, sc := range scenarios {
			for ti, name := range rr.targets {
				for round, c := range rr.cells[si][ti] {
					fmt.Fprintf(b, "%-30s %-28s round %d  requests %6d  errors %d  tokens %8d  wall %8.3fs  cpu %6.2fs  syscr %7d  syscw %7d\n",
						sc, name, round+1, c.requests, c.errors, c.tokens, c.wall.Seconds(), c.cpu.Seconds(), c.reads, c.writes)
				}
			}
		}
		fmt.Fprintf(b, "```\n\n")
	}
	if fp := r.footprint; fp != nil {
		fmt.Fprintf(b, "Footprint, per start: time until the port answered, idle RSS.\n\n```\n")
		for _, x := range fp.rows {
			for i := range x.starts {
				fmt.Fprintf(b, "%-36s start %d  %10s  %s\n", x.name, i+1, fmtDur(x.starts[i]), fmtMB(x.idle[i]))
			}
		}
		fmt.Fprintf(b, "```\n\n")
	}
	if ol := r.ollama; ol != nil {
		fmt.Fprintf(b, "Real Ollama, every request: TTFT / total.\n\n```\n")
		for i, name := range ol.targets {
			fmt.Fprintf(b, "%s:\n", name)
			for k, s := range ol.samples[i] {
				fmt.Fprintf(b, "  %s/%s", fmtDur(s.ttft), fmtDur(s.total))
				if k%6 == 5 {
					fmt.Fprintf(b, "\n")
				}
			}
			fmt.Fprintf(b, "\n")
		}
		fmt.Fprintf(b, "```\n\n")
	}
	for _, j := range []*jobResult{r.repatch, r.exposed, r.guard} {
		if j == nil {
			continue
		}
		var ds []string
		for _, d := range j.latencies {
			ds = append(ds, fmtDur(d))
		}
		fmt.Fprintf(b, "%s: %s.\n\n", j.what, strings.Join(ds, ", "))
	}
	if r.micro != nil {
		fmt.Fprintf(b, "Micro-benchmarks, as `go test` printed them:\n\n```\n%s\n```\n\n", strings.Join(r.micro.raw, "\n"))
	}
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
