package main

import (
	"fmt"
	"strings"
	"time"
)

// The targets of issue 18 (performance, round 2), each checked against
// this run's own measurements: the relay comparison, the footprint and
// the micro-benchmarks folded in from `go test -bench`.

// Limits of issue 18.
const (
	cpuPerTokenTarget    = 2 * time.Microsecond // streaming, Anthropic path, c=32
	openAIRatioTarget    = 1.2                  // OpenAI relay over Anthropic's
	requestMBpsTarget    = 100                  // decode+convert, MB/s
	idleRSSTarget        = 15e6                 // bytes
	loadRSSTarget        = 40e6                 // bytes, under footprintStreams streams
	coldStartTarget      = 30 * time.Millisecond
	translatorPkg        = "github.com/clawbridge/clawbridge/daemon/translator"
	anthropicPkg         = "github.com/clawbridge/clawbridge/daemon/anthropic"
	relayTokenBench      = "RelayToken"
	relayTokenOpenAI     = "RelayTokenOpenAI"
	convertRequestBench  = "ConvertClawdbotRequest"
	convertRequest1MB    = "ConvertAgentRequest1MB"
	notMeasuredInThisRun = "not measured in this run"
)

// goals18 are issue 18's targets with what this run measured. A target
// whose measurement is missing from the run is listed as not measured,
// never as met.
func (r *report) goals18() []goal {
	var gs []goal
	add := func(what, measured string, met bool) { gs = append(gs, goal{what, measured, met, true}) }
	unknown := func(what, why string) { gs = append(gs, goal{what: what, measured: why}) }
	gs = append(gs, r.relayGoals18()...)
	if r.micro == nil {
		unknown(fmt.Sprintf("OpenAI relay within %.1f× the Anthropic one (ns/token and allocs/token)", openAIRatioTarget), notMeasuredInThisRun+": no micro-benchmarks")
		unknown(fmt.Sprintf("Request decode+convert at least %d MB/s (90 KB and 1 MB)", requestMBpsTarget), notMeasuredInThisRun+": no micro-benchmarks")
	} else {
		gs = append(gs, r.microGoals18()...)
	}
	if fp := r.footprint; fp != nil && len(fp.rows) > 0 {
		cb := fp.rows[0]
		idle := int64(median(int64s(cb.idle)))
		add("Idle RSS at most 15 MB (the daemon, headless)", fmtMB(idle), idle <= idleRSSTarget)
		add(fmt.Sprintf("RSS under %d streams at most 40 MB", footprintStreams), fmtMB(cb.loadPeak), cb.loadPeak <= loadRSSTarget)
		start := medianDuration(cb.starts)
		add("Cold start at most 30 ms", fmtDur(start), start <= coldStartTarget)
	} else {
		unknown("Idle RSS, RSS under load, cold start", notMeasuredInThisRun)
	}
	return gs
}

// relayGoals18 are the targets read from the relay comparison: ahead of
// claude-code-router in every scenario, no error at concurrency 32 with
// the default config, and the CPU per streamed token.
func (r *report) relayGoals18() []goal {
	var gs []goal
	add := func(what, measured string, met bool) { gs = append(gs, goal{what, measured, met, true}) }
	rr := r.relay
	if rr == nil {
		return []goal{{what: "Relay: ahead of claude-code-router, no errors at concurrency 32, CPU per token", measured: notMeasuredInThisRun}}
	}
	cb := indexOf(rr.targets, "clawbridge")
	ccr := indexOf(rr.targets, "claude-code-router")
	for si, sc := range scenarios {
		what := fmt.Sprintf("Ahead of claude-code-router, %s", sc)
		if ccr < 0 {
			gs = append(gs, goal{what: what, measured: notMeasuredInThisRun + ": no claude-code-router"})
			continue
		}
		measured, met := aheadOf(sc, summarize(rr.cells[si][cb]), summarize(rr.cells[si][ccr]))
		add(what, measured, met)
	}
	var parts []string
	errs := 0
	for si, sc := range scenarios {
		if sc.conc != 32 {
			continue
		}
		s := summarize(rr.cells[si][cb])
		errs += s.errors
		parts = append(parts, fmt.Sprintf("%d of %d requests failed %s", s.errors, s.requests, strings.TrimSuffix(sc.String(), ", concurrency 32")))
	}
	if fp := r.footprint; fp != nil && len(fp.rows) > 0 {
		l := fp.rows[0].load
		errs += l.errors
		parts = append(parts, fmt.Sprintf("%d of %d under %d streams (footprint)", l.errors, l.requests, footprintStreams))
	}
	add(fmt.Sprintf("No errors at concurrency 32 and under %d streams with the default config (no max_parallel_requests set)", footprintStreams), strings.Join(parts, "; "), errs == 0)
	for si, sc := range scenarios {
		if sc.stream && sc.conc == 32 {
			perToken := summarize(rr.cells[si][cb]).cpuPer1k / 1000
			floor := summarize(rr.cells[si][rr.floor]).cpuPer1k / 1000
			add("Streaming at concurrency 32: at most 2 µs of clawbridge CPU per relayed token (Anthropic path)",
				fmt.Sprintf("%s per token (the reverse-proxy floor: %s)", fmtDur(perToken), fmtDur(floor)), perToken <= cpuPerTokenTarget)
		}
	}
	return gs
}

// aheadOf compares clawbridge with claude-code-router in one scenario:
// ahead means more tokens/s (streaming) or requests/s (not streaming),
// a lower p50 (time to first token when streaming, whole answer when
// not), and no more errors.
func aheadOf(sc scenario, cb, ccr cellSummary) (string, bool) {
	rate, rateCCR, unit := cb.rps, ccr.rps, "req/s"
	p50, p50CCR, lat := cb.total50, ccr.total50, "p50"
	if sc.stream {
		rate, rateCCR, unit = cb.tps, ccr.tps, "tokens/s"
		p50, p50CCR, lat = cb.ttft50, ccr.ttft50, "TTFT p50"
	}
	m := fmt.Sprintf("%s vs %s %s (%s), %s %s vs %s", fmtRate(rate), fmtRate(rateCCR), unit, fmtRatio(rate/rateCCR), lat, fmtDur(p50), fmtDur(p50CCR))
	if cb.errors > 0 || ccr.errors > 0 {
		m += fmt.Sprintf(", errors %d vs %d", cb.errors, ccr.errors)
	}
	return m, rate > rateCCR && p50 < p50CCR && cb.errors <= ccr.errors
}

// microGoals18 are the targets read from the micro-benchmarks: the OpenAI
// relay's cost per token against the Anthropic one's, and the request
// decoding and conversion throughput.
func (r *report) microGoals18() []goal {
	var gs []goal
	anth, oai := r.micro.find(translatorPkg, relayTokenBench), r.micro.find(translatorPkg, relayTokenOpenAI)
	for _, unit := range []string{"ns/token", "allocs/token"} {
		what := fmt.Sprintf("OpenAI relay within %.1f× the Anthropic one in %s (RelayTokenOpenAI ÷ RelayToken)", openAIRatioTarget, unit)
		a, okA := anth.medianOf(unit)
		o, okO := oai.medianOf(unit)
		if !okA || !okO || a <= 0 {
			gs = append(gs, goal{what: what, measured: notMeasuredInThisRun + ": " + relayTokenBench + " or " + relayTokenOpenAI + " missing"})
			continue
		}
		ratio := o / a
		gs = append(gs, goal{what, fmt.Sprintf("%s vs %s %s = %s", fmtNum(o), fmtNum(a), unit, fmtRatio(ratio)), ratio <= openAIRatioTarget, true})
	}
	for _, c := range []struct{ name, size string }{{convertRequestBench, "90 KB"}, {convertRequest1MB, "1 MB"}} {
		what := fmt.Sprintf("Request decode+convert at least %d MB/s at %s (%s)", requestMBpsTarget, c.size, c.name)
		v, ok := r.micro.find(anthropicPkg, c.name).medianOf("MB/s")
		if !ok {
			gs = append(gs, goal{what: what, measured: notMeasuredInThisRun + ": " + c.name + " missing"})
			continue
		}
		gs = append(gs, goal{what, fmtNum(v) + " MB/s", v >= requestMBpsTarget, true})
	}
	return gs
}

// find is the benchmark name in package pkg, or nil.
func (m *microResult) find(pkg, name string) *microBench {
	for _, b := range m.benches {
		if b.pkg == pkg && b.name == name {
			return b
		}
	}
	return nil
}

// medianOf is median for a benchmark that may be missing (nil).
func (b *microBench) medianOf(unit string) (float64, bool) {
	if b == nil {
		return 0, false
	}
	return b.median(unit)
}

func (r *report) writeSummary18(b *strings.Builder) {
	if r.relay == nil && r.micro == nil && r.footprint == nil {
		return
	}
	fmt.Fprintf(b, "## Targets (issue 18)\n\n")
	fmt.Fprintf(b, "Each computed from this run's measurements: the relay rows from section 2 (clawbridge with the default config), the OpenAI and request rows from the micro-benchmarks of section 1 (medians), the memory and start-up rows from section 4. The design behind them and the hand-measured tables (the prompt cache across turns, large requests on a real Ollama) are in [performance.md](performance.md).\n\n")
	fmt.Fprintf(b, "| Target | Measured | |\n|---|---|---|\n")
	for _, g := range r.goals18() {
		mark := "met"
		switch {
		case !g.known:
			mark = "not measured"
		case !g.met:
			mark = "**missed**"
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", g.what, g.measured, mark)
	}
	fmt.Fprintf(b, "\n")
}
