package main

import (
	"fmt"
	"time"
)

// notStreamingGap explains, with this run's numbers, why clawbridge
// answers clients that do not stream more slowly than the reverse-proxy
// floor: n1 and n32 are clawbridge at concurrency 1 and 32, f1 and f32
// the floor; tokens is the length of an answer.
func notStreamingGap(tokens int, n1, f1, n32, f32 cellSummary) string {
	return fmt.Sprintf("**Not streaming** (p50 %s against the floor's %s at concurrency 1, %s against %s req/s at concurrency 32): "+
		"clawbridge asks Ollama for the whole answer when nothing needs the stream (`daemon/translator/whole.go`; a model's first answer streams and teaches its speed), so against the fake almost every request is one JSON body each way, as through the floor: "+
		"%s read and %s write system calls per request here at concurrency 32, against the floor's %s and %s. "+
		"What is left is the work a translator cannot skip and a proxy does not do: decoding the Anthropic request, converting it, encoding Ollama's body, decoding the answer and encoding the Anthropic one. "+
		"clawbridge spends %s of CPU per request at concurrency 32 against the reverse proxy's %s, on the two cores that the load generator and the fake share, so the requests/s follow the CPU per request. "+
		"With a real model the difference vanishes: at 30 tokens/s, a fast local model, an answer of %d tokens takes %s to generate.",
		fmtDur(n1.total50), fmtDur(f1.total50), fmtRate(n32.rps), fmtRate(f32.rps),
		fmtNum(n32.readsPerRequest()), fmtNum(n32.writesPerRequest()), fmtNum(f32.readsPerRequest()), fmtNum(f32.writesPerRequest()),
		fmtDur(n32.cpuPerRequest()), fmtDur(f32.cpuPerRequest()), tokens, fmtDur(time.Duration(tokens)*time.Second/30))
}

// readsPerRequest is the target's read system calls per request.
func (s cellSummary) readsPerRequest() float64 {
	if s.requests == 0 {
		return 0
	}
	return float64(s.reads) / float64(s.requests)
}

// cpuPerRequest is the target's CPU time per request.
func (s cellSummary) cpuPerRequest() time.Duration {
	if s.requests == 0 {
		return 0
	}
	return s.cpu / time.Duration(s.requests)
}
