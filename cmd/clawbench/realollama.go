package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// ollamaResult compares clawbridge in front of a real Ollama with
// Ollama's own Anthropic endpoint, same model, same prompt.
type ollamaResult struct {
	model  string
	tokens int
	// targets are clawbridge, Ollama's /v1/messages, Ollama's /api/chat
	// and a reverse proxy in front of it, in that order.
	targets []string
	// samples[target] holds every streamed request, all rounds pooled.
	samples [][]sample
	version string
}

// realTokens is the answer length for the real model: long enough that
// total time means generation, short enough for a shared 2-core machine.
func (o *options) realTokens() int {
	if o.smoke {
		return 16
	}
	return 128
}

// runRealOllama starts the real Ollama with the tiny scripted model of
// package ollamatest and times streamed answers of exactly realTokens
// tokens (the model's loop script runs until max_tokens stops it), one
// request at a time, alternating between clawbridge → /api/chat,
// Ollama's native /v1/messages and, for reference, /api/chat itself and
// through a Go reverse proxy.
func runRealOllama(ctx context.Context, o *options, work string, logf func(string, ...any)) (*ollamaResult, error) {
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	srv, err := ollamatest.StartServer(sctx, ollamatest.Options{Bin: o.ollamaBin})
	cancel()
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	model := ollamatest.ModelPlain // no thinking: both paths send the same request
	cb, err := startClawbridge(ctx, o, work, "clawbridge-ollama", "ollama/"+model, srv.URL, "")
	if err != nil {
		return nil, err
	}
	defer cb.stop()
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	px, err := startProc(ctx, "proxy-ollama", exec.Command(self, "proxy", "-to", srv.URL), work, "", "")
	if err != nil {
		return nil, err
	}
	defer px.stop()

	res := &ollamaResult{model: model, tokens: o.realTokens()}
	prompt := "Please " + ollamatest.TriggerLoop + "."
	ts := []target{
		{name: "clawbridge → Ollama /api/chat", base: cb.base, dialect: anthropicMessages, model: benchModel, prompt: prompt, proc: cb},
		{name: "Ollama's own /v1/messages", base: srv.URL, dialect: anthropicMessages, model: model, prompt: prompt},
		// No translation at all: what any hop in front of Ollama adds to.
		{name: "Ollama's /api/chat, direct", base: srv.URL, dialect: ollamaNative, model: model, prompt: prompt},
		// The least a hop of its own process adds.
		{name: "Go reverse proxy → Ollama /api/chat", base: px.base, dialect: ollamaNative, model: model, prompt: prompt, proc: px},
	}
	hc := loadClient()
	defer hc.CloseIdleConnections()
	if v, err := ollamaVersion(ctx, hc, srv.URL); err == nil {
		res.version = v
	}
	// Both must give the same answer of exactly the asked length. The
	// first request also loads the model.
	var texts []string
	for _, t := range ts {
		res.targets = append(res.targets, t.name)
		s, err := do(ctx, hc, t, requestBody(t, true, res.tokens), true, true)
		if err != nil {
			return nil, err
		}
		if s.tokens != res.tokens {
			return nil, fmt.Errorf("%s streamed %d tokens, want %d (the loop script stops only at max_tokens)", t.name, s.tokens, res.tokens)
		}
		texts = append(texts, s.text)
	}
	for i := 1; i < len(texts); i++ {
		if texts[i] != texts[0] {
			return nil, fmt.Errorf("%s and %s answered differently:\n%q\n%q", ts[0].name, ts[i].name, abbreviate(texts[0], 120), abbreviate(texts[i], 120))
		}
	}
	perRound := 40
	if o.smoke {
		perRound = 2
	}
	res.samples = make([][]sample, len(ts))
	for round := range o.rounds {
		for i := range perRound {
			for k := range ts {
				ti := (k + i + round) % len(ts)
				t := ts[ti]
				s, err := do(ctx, hc, t, requestBody(t, true, res.tokens), true, false)
				if err != nil {
					return nil, err
				}
				if s.tokens != res.tokens {
					return nil, fmt.Errorf("%s streamed %d tokens, want %d", t.name, s.tokens, res.tokens)
				}
				res.samples[ti] = append(res.samples[ti], s)
			}
		}
		logf("real ollama: round %d/%d done", round+1, o.rounds)
	}
	return res, nil
}

// ollamaVersion asks Ollama for its version, for the report.
func ollamaVersion(ctx context.Context, hc *http.Client, base string) (string, error) {
	c, err := ollama.New(base, hc)
	if err != nil {
		return "", err
	}
	return c.Version(ctx)
}
