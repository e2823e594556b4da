//go:build unix

package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// cmpResult is one cell of the comparison table.
type cmpResult struct {
	pass     bool
	evidence string
	took     time.Duration
}

// cmpScenario is one row: a failure mode local-model users report, and
// how to tell whether a path has it.
type cmpScenario struct {
	name string
	run  func(t *testing.T, p *cmpPath, silence time.Duration) cmpResult
}

// cmpTurnTimeout bounds an ordinary turn (a hang guard: turns take
// seconds to a minute).
const cmpTurnTimeout = 5 * time.Minute

// cmpScenarios are the rows, in the order they run: the cache row first,
// while Ollama has read no prompt of this path yet.
var cmpScenarios = []cmpScenario{
	{"Second turn reuses Ollama's prompt cache", cmpCacheReuse},
	{"Usage: tokens and context window reported", cmpUsageReported},
	{"Tool call written as fenced JSON runs", func(t *testing.T, p *cmpPath, _ time.Duration) cmpResult {
		return cmpTextCall(t, p, "Please do a fenced write.", ollamatest.WriteProofFenced)
	}},
	{"Tool call written as prose + bare JSON runs", func(t *testing.T, p *cmpPath, _ time.Duration) cmpResult {
		return cmpTextCall(t, p, "Please do a prose write.", ollamatest.WriteProofProse)
	}},
	{"Thinking on: reply and thinking kept", cmpThinkingOn},
	{"Thinking off: think:false sent, reply non-empty", cmpThinkingOff},
	{"Context overflow without num_ctx: start of prompt kept", cmpOverflow},
	{"Model switch behind the alias, no restart", cmpModelSwitch},
	{"Backend down mid-session: failover to the second", cmpBackendDown},
	{"Silence before the first token longer than the watchdog", cmpSilenceSurvives},
}

// cmpCalls describes the Ollama requests of a turn in a few words.
func cmpCalls(calls []cmpCall) string {
	if len(calls) == 0 {
		return "no request reached Ollama"
	}
	var parts []string
	for _, c := range calls {
		ctx := "num_ctx unset"
		if c.NumCtxSet {
			ctx = fmt.Sprintf("num_ctx %d", c.NumCtx)
		}
		s := fmt.Sprintf("%s: %s (%s, think %s)", c.Server, c.Model, ctx, c.Think)
		if c.Error != "" {
			s += ": " + cmpShort(c.Error, 80)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// cmpFailure is the evidence of a turn that did not give the expected
// reply.
func cmpFailure(r cmpTurnResult) string {
	if r.errMsg != "" {
		return "error: " + cmpShort(r.errMsg, 160)
	}
	return fmt.Sprintf("reply %q", cmpShort(r.reply, 120))
}

// cmpShort cuts s to n bytes on one line.
func cmpShort(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// cmpLast is the last call a turn made to Ollama.
func cmpLast(calls []cmpCall) (cmpCall, bool) {
	if len(calls) == 0 {
		return cmpCall{}, false
	}
	return calls[len(calls)-1], true
}

func cmpCacheReuse(t *testing.T, p *cmpPath, _ time.Duration) cmpResult {
	first := p.turn(t, "cmp-cache", "hello", cmpTurnTimeout)
	second := p.turn(t, "cmp-cache", "hello again", cmpTurnTimeout)
	for _, r := range []cmpTurnResult{first, second} {
		if r.reply != ollamatest.ReplyDefault {
			return cmpResult{evidence: cmpFailure(r)}
		}
	}
	c1, ok1 := cmpLast(first.calls)
	c2, ok2 := cmpLast(second.calls)
	if !ok1 || !ok2 {
		return cmpResult{evidence: "a turn did not reach Ollama"}
	}
	ev := fmt.Sprintf("prompt eval: turn 1 %d tokens in %s (%s, num_ctx %d), turn 2 %d tokens in %s (%s, num_ctx %d)",
		c1.PromptEvalCount, c1.PromptEvalDur.Round(time.Millisecond), c1.Server, c1.NumCtx,
		c2.PromptEvalCount, c2.PromptEvalDur.Round(time.Millisecond), c2.Server, c2.NumCtx)
	return cmpResult{pass: c2.PromptEvalDur*2 < c1.PromptEvalDur, evidence: ev}
}

func cmpUsageReported(t *testing.T, p *cmpPath, _ time.Duration) cmpResult {
	r := p.turn(t, "cmp-usage", "hello", cmpTurnTimeout)
	if r.reply != ollamatest.ReplyDefault {
		return cmpResult{evidence: cmpFailure(r)}
	}
	var prompt, eval int
	for _, c := range r.calls {
		prompt, eval = prompt+c.PromptEvalCount, eval+c.EvalCount
	}
	ev := fmt.Sprintf("OpenClaw: %d in / %d out, context window %d; Ollama: %d prompt tokens evaluated, %d generated, model context %d",
		r.usage.Input, r.usage.Output, r.ctxLimit, prompt, eval, cmpModelContext)
	ok := r.usage.Input > 0 && r.usage.Output == eval && r.ctxLimit > 0 && r.ctxLimit <= cmpModelContext
	return cmpResult{pass: ok, evidence: ev}
}

// cmpModelContext is the tiny models' context length (llama.context_length,
// what /api/show reports).
const cmpModelContext = 65536

func cmpTextCall(t *testing.T, p *cmpPath, message, proof string) cmpResult {
	r := p.turn(t, "cmp-"+strings.TrimSuffix(proof, ".txt"), message, cmpTurnTimeout)
	path, content := cmpFind(p.home, proof)
	if path == "" {
		return cmpResult{evidence: "the tool did not run (no " + proof + "); " + cmpFailure(r)}
	}
	if content != ollamatest.WriteProofContent {
		return cmpResult{evidence: fmt.Sprintf("%s holds %q", proof, content)}
	}
	return cmpResult{pass: true, evidence: fmt.Sprintf("OpenClaw's write tool ran (%s created; tools %v); then %q",
		proof, r.tools, cmpShort(r.reply, 60))}
}

// cmpFind looks for a file named name under home/.openclaw and returns
// its path and content.
func cmpFind(home, name string) (path, content string) {
	filepath.WalkDir(filepath.Join(home, ".openclaw"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == name {
			data, _ := os.ReadFile(p)
			path, content = p, string(data)
			return fs.SkipAll
		}
		return nil
	})
	return path, content
}

// cmpStateHolds reports whether any file of OpenClaw's state (its
// session store) holds text.
func cmpStateHolds(home, text string) bool {
	found := false
	filepath.WalkDir(filepath.Join(home, ".openclaw"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found {
			return nil
		}
		if data, err := os.ReadFile(p); err == nil && bytes.Contains(data, []byte(text)) {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}

func cmpThinkingOn(t *testing.T, p *cmpPath, _ time.Duration) cmpResult {
	r := p.turn(t, "cmp-think-on", "think about it", cmpTurnTimeout, "--thinking", "low")
	if r.reply != ollamatest.ThinkAnswer {
		return cmpResult{evidence: cmpFailure(r) + "; " + cmpCalls(r.calls)}
	}
	kept := cmpStateHolds(p.home, ollamatest.ThinkThinking)
	ev := fmt.Sprintf("reply %q; thinking in the session: %v; %s", r.reply, kept, cmpCalls(r.calls))
	return cmpResult{pass: kept, evidence: ev}
}

func cmpThinkingOff(t *testing.T, p *cmpPath, _ time.Duration) cmpResult {
	r := p.turn(t, "cmp-think-off", "think about it", cmpTurnTimeout, "--thinking", "off")
	if r.reply != ollamatest.ThinkAnswer {
		return cmpResult{evidence: cmpFailure(r) + "; " + cmpCalls(r.calls)}
	}
	ok := len(r.calls) > 0
	for _, c := range r.calls {
		ok = ok && c.Think == "false"
	}
	return cmpResult{pass: ok, evidence: fmt.Sprintf("reply %q; %s", r.reply, cmpCalls(r.calls))}
}

func cmpOverflow(t *testing.T, p *cmpPath, _ time.Duration) cmpResult {
	r := p.turn(t, "cmp-overflow", "codeword: which message survived?", cmpTurnTimeout)
	c, _ := cmpLast(r.calls)
	ev := fmt.Sprintf("%d prompt tokens, Ollama's default context %d; %s", c.PromptEvalCount, ollamatest.DefaultNumCtx, cmpCalls(r.calls))
	if r.reply != ollamatest.ReplyCodeword {
		return cmpResult{evidence: "the user's message was cut: " + cmpFailure(r) + "; " + ev}
	}
	return cmpResult{pass: true, evidence: fmt.Sprintf("reply %q; %s", r.reply, ev)}
}

func cmpModelSwitch(t *testing.T, p *cmpPath, _ time.Duration) cmpResult {
	if err := p.switchModel(t, ollamatest.ModelAlt); err != nil {
		return cmpResult{evidence: "switch: " + cmpShort(err.Error(), 160)}
	}
	r := p.turn(t, "cmp-switch", "hello", cmpTurnTimeout)
	if err := p.switchModel(t, ollamatest.ModelTiny); err != nil {
		t.Errorf("%s: switching back: %v", p.name, err)
	}
	if r.reply != ollamatest.ReplyDefault {
		return cmpResult{evidence: cmpFailure(r)}
	}
	ok := len(r.calls) > 0
	for _, c := range r.calls {
		ok = ok && strings.HasPrefix(c.Model, ollamatest.ModelAlt)
	}
	return cmpResult{pass: ok, evidence: "after the switch Ollama was asked for " + cmpCalls(r.calls)}
}

func cmpBackendDown(t *testing.T, p *cmpPath, _ time.Duration) cmpResult {
	if r := p.turn(t, "cmp-down", "hello", cmpTurnTimeout); r.reply != ollamatest.ReplyDefault {
		return cmpResult{evidence: "first turn: " + cmpFailure(r)}
	}
	p.main.down()
	r := p.turn(t, "cmp-down", "hello again", cmpTurnTimeout)
	if err := p.main.up(); err != nil {
		t.Fatal(err)
	}
	if r.reply != ollamatest.ReplyDefault {
		return cmpResult{evidence: "main Ollama down: " + cmpFailure(r) + "; backup: " + cmpCalls(r.backup)}
	}
	ok := len(r.backup) > 0
	return cmpResult{pass: ok, evidence: fmt.Sprintf("main Ollama down: answered in %s by the backup: %s",
		r.took.Round(time.Second), cmpCalls(r.backup))}
}

func cmpSilenceSurvives(t *testing.T, p *cmpPath, silence time.Duration) cmpResult {
	p.main.setDelay(silence)
	p.backup.setDelay(silence)
	r := p.turn(t, "cmp-silence", "hello", silence+10*time.Minute)
	p.main.setDelay(0)
	p.backup.setDelay(0)
	if r.reply != ollamatest.ReplyDefault {
		return cmpResult{evidence: fmt.Sprintf("Ollama silent for %s: %s after %s", silence, cmpFailure(r), r.took.Round(time.Second))}
	}
	return cmpResult{pass: true, evidence: fmt.Sprintf("Ollama silent for %s before its answer: reply %q after %s",
		silence, r.reply, r.took.Round(time.Second))}
}
