package translator

import (
	"math"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// Token counting: Ollama has no tokenize endpoint, so the prompt is
// estimated here and calibrated per backend model against the
// prompt_eval_count of its answers. docs/token-counting.md says how, and
// what error to expect.

// calibratedTolerance is the documented error of a calibrated count, as a
// fraction of the true count (docs/token-counting.md); context sizing
// leaves this much room on top of the count.
const calibratedTolerance = 0.10

// Fixed costs that chat templates add, in tokens.
const (
	messageOverhead = 4   // role markers and separators around each message
	toolOverhead    = 10  // the wrapper each tool's schema is rendered in
	callOverhead    = 6   // the markers around a tool call in the history
	imageTokens     = 768 // what Ollama itself assumes for an image
)

// Kinds of prompt text that are calibrated apart: a model's tokenizer and
// chat template pack them at different rates against the raw estimate.
const (
	// kindTools is the tool schemas, with the wrapper each is rendered in.
	kindTools = iota
	// kindSystem is the system messages.
	kindSystem
	// kindConversation is the user, assistant and tool messages: text,
	// thinking, tool calls and tool results.
	kindConversation
	numKinds
)

// tokenEstimate is the raw, uncalibrated size of a prompt in tokens, by
// kind. Images are apart: they cost a fixed imageTokens each, which no
// text calibration applies to.
type tokenEstimate struct {
	kinds  [numKinds]int
	images int
}

// total is the raw estimate of the whole prompt.
func (e tokenEstimate) total() int {
	n := e.images
	for _, k := range e.kinds {
		n += k
	}
	return n
}

// estimateTokens is the raw size of a request, by kind.
func estimateTokens(c *ollama.ChatRequest) tokenEstimate {
	var e tokenEstimate
	for _, m := range c.Messages {
		k := kindConversation
		if m.Role == "system" {
			k = kindSystem
		}
		n := messageOverhead + textTokens(m.Content) + textTokens(m.Thinking)
		for _, tc := range m.ToolCalls {
			n += callOverhead + textTokens(tc.Function.Name) + textTokens(string(tc.Function.Arguments))
		}
		e.kinds[k] += n
		e.images += imageTokens * len(m.Images)
	}
	for _, t := range c.Tools {
		e.kinds[kindTools] += toolOverhead + textTokens(t.Function.Name) + textTokens(t.Function.Description) + textTokens(string(t.Function.Parameters))
	}
	return e
}

// textTokens estimates the tokens of s: a word is one token per six
// letters begun, digits go in groups of three, each other symbol (and each
// line break) is a token of its own, spaces merge with the word after
// them, and a letter outside ASCII counts one token (CJK characters are
// about one token each; accented Latin letters split words).
func textTokens(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
				j++
			}
			n += (j - i + 5) / 6
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			n += (j - i + 2) / 3
			i = j
		case c == ' ' || c == '\t':
			i++
		case c < utf8.RuneSelf:
			n++
			i++
		default:
			_, size := utf8.DecodeRuneInString(s[i:])
			n++
			i += size
		}
	}
	return n
}

// calibration maps raw estimates onto one backend model's token counts.
// It keeps the recent samples and the fit made from them, refitted when a
// sample has come in since.
type calibration struct {
	mu      sync.Mutex
	samples [calibrationSamples]calibrationSample
	n, next int
	fit     calibrationFit
	stale   bool
}

// calibrationSamples is how many recent answers the fit uses.
const calibrationSamples = 32

// calibrationSample is one answer: the raw estimate of its prompt by kind,
// and the tokens the model read for it less the fixed cost of its images.
type calibrationSample struct {
	x    [numKinds]float64
	real float64
}

// observe records a request's raw estimate and the prompt_eval_count the
// model reported for it. An answer whose images alone would come to more
// than the model read is left out: the fixed image cost is wrong for this
// model, and the text fit is better off without it.
func (c *calibration) observe(e tokenEstimate, real int) {
	text := real - e.images
	if e.total()-e.images <= 0 || text <= 0 {
		return
	}
	var s calibrationSample
	for k, v := range e.kinds {
		s.x[k] = float64(v)
	}
	s.real = float64(text)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.samples[c.next] = s
	c.next = (c.next + 1) % calibrationSamples
	c.n = min(c.n+1, calibrationSamples)
	c.stale = true
}

// apply maps a raw estimate to the model's tokens (see fitCalibration).
// With no answers seen it returns the raw estimate. The result is never
// below 1.
func (c *calibration) apply(e tokenEstimate) int {
	if c == nil {
		return max(e.total(), 1)
	}
	c.mu.Lock()
	if c.n == 0 {
		c.mu.Unlock()
		return max(e.total(), 1)
	}
	if c.stale {
		c.fit = fitCalibration(c.samples[:c.n])
		c.stale = false
	}
	f := c.fit
	c.mu.Unlock()
	return max(int(math.Round(f.predict(e))), 1)
}

// calibrated reports whether any answer has been seen.
func (c *calibration) calibrated() bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n > 0
}

// calibrationFit is the map from a raw estimate to a model's tokens: a
// weight per kind and the chat template's fixed cost.
type calibrationFit struct {
	w [numKinds]float64
	c float64
}

// predict is the calibrated count of a prompt: its text by kind through
// the fit, and its images at their fixed cost.
func (f calibrationFit) predict(e tokenEstimate) float64 {
	y := f.c + float64(e.images)
	for k, v := range e.kinds {
		y += f.w[k] * float64(v)
	}
	return y
}

// The per-kind fit's regularisation: see fitCalibration.
const (
	// kindRidge is how strongly each kind's weight is pulled toward the
	// common slope, as a fraction of what the samples say about that
	// kind alone: 0.1 moves a kind that varies on its own nine tenths of
	// the way to its own rate.
	kindRidge = 0.1
	// kindSpread bounds how far one kind's weight may stray from the
	// common slope, as a factor either way: tokenizers pack JSON schemas
	// and prose differently, but not by more than that, and a fit that
	// says so is extrapolating from samples that barely separate the
	// kinds.
	kindSpread = 3.0
	// ridgeTries is how often the pull is made ten times stronger when a
	// fit strays too far, before falling back to the single line.
	ridgeTries = 4
)

// fitCalibration fits the samples' real counts as a weighted sum of their
// raw estimates by kind plus a fixed cost:
//
//	real ≈ Σ w_k·x_k + c, with w_k = s + δ_k
//
// by least squares, where s is a slope common to all kinds and the
// per-kind deviations δ_k are regularised toward zero (ridge, scaled by
// each kind's own sum of squares). So the fit is the single least-squares
// line through (total estimate, real) wherever the samples cannot tell
// the kinds apart: with one or two samples, with samples that all mix
// the kinds in the same proportions, and for a kind no sample contains.
// Where they can (a history of small tool-only requests and one
// agent-shaped one), each kind gets its own rate. A fit whose kind
// weights stray beyond kindSpread from s is made with a stronger pull,
// and in the end the single line is used; with samples of one size only,
// the ratio of their sums.
func fitCalibration(samples []calibrationSample) calibrationFit {
	// The single line: the fallback, and all there is to fit until the
	// samples come in three or more sizes.
	var sx, sy, sxx, sxy float64
	for _, s := range samples {
		x := 0.0
		for _, v := range s.x {
			x += v
		}
		sx += x
		sy += s.real
		sxx += x * x
		sxy += x * s.real
	}
	var line calibrationFit
	n := float64(len(samples))
	if n == 0 || sx <= 0 {
		for k := range line.w {
			line.w[k] = 1
		}
		return line
	}
	slope, icpt := sy/sx, 0.0
	d := n*sxx - sx*sx
	sizes := len(samples) >= 2 && d > 1e-9*n*sxx // more than one size
	if sizes {
		if s := (n*sxy - sx*sy) / d; s > 0 {
			slope, icpt = s, (sy-s*sx)/n
		}
	}
	for k := range line.w {
		line.w[k] = slope
	}
	line.c = icpt
	if !sizes || len(samples) < 3 {
		return line
	}
	// Unknowns: δ_0..δ_{K-1}, s, c. Normal equations of the samples
	// z = (x_0, ..., x_{K-1}, Σx, 1), the estimates in units of their
	// mean so that the system is well conditioned.
	const m = fitUnknowns
	unit := sx / n
	var a [m][m]float64
	var b [m]float64
	for _, s := range samples {
		var z [m]float64
		for k, v := range s.x {
			z[k] = v / unit
			z[numKinds] += v / unit
		}
		z[numKinds+1] = 1
		for i := range m {
			b[i] += z[i] * s.real
			for j := range m {
				a[i][j] += z[i] * z[j]
			}
		}
	}
	lambda := kindRidge
	for range ridgeTries {
		p, q := a, b
		for k := range numKinds {
			if p[k][k] == 0 {
				p[k][k] = 1 // a kind no sample has: δ_k = 0
			} else {
				p[k][k] *= 1 + lambda
			}
		}
		if solve(&p, &q) {
			s := q[numKinds]
			f := calibrationFit{c: q[numKinds+1]}
			ok := s > 0
			for k := range numKinds {
				f.w[k] = (s + q[k]) / unit
				ok = ok && f.w[k] >= s/unit/kindSpread && f.w[k] <= s/unit*kindSpread
			}
			if ok {
				return f
			}
		}
		lambda *= 10
	}
	return line
}

// fitUnknowns is the number of unknowns of the per-kind fit: a deviation
// per kind, the common slope and the fixed cost.
const fitUnknowns = numKinds + 2

// solve solves p·x = q for x, in q, by Gaussian elimination with partial
// pivoting. It reports false when p is singular to working precision.
func solve(p *[fitUnknowns][fitUnknowns]float64, q *[fitUnknowns]float64) bool {
	scale := 0.0
	for i := range fitUnknowns {
		scale = max(scale, math.Abs(p[i][i]))
	}
	for i := range fitUnknowns {
		r := i
		for j := i + 1; j < fitUnknowns; j++ {
			if math.Abs(p[j][i]) > math.Abs(p[r][i]) {
				r = j
			}
		}
		if math.Abs(p[r][i]) <= 1e-12*scale {
			return false
		}
		p[i], p[r] = p[r], p[i]
		q[i], q[r] = q[r], q[i]
		for j := i + 1; j < fitUnknowns; j++ {
			f := p[j][i] / p[i][i]
			for k := i; k < fitUnknowns; k++ {
				p[j][k] -= f * p[i][k]
			}
			q[j] -= f * q[i]
		}
	}
	for i := fitUnknowns - 1; i >= 0; i-- {
		for k := i + 1; k < fitUnknowns; k++ {
			q[i] -= p[i][k] * q[k]
		}
		q[i] /= p[i][i]
	}
	return true
}

// countTokens answers POST /v1/messages/count_tokens: the estimated
// prompt tokens of a messages body (system, messages, tools and their
// schemas), calibrated for the backend model that would answer it. It
// does not talk to the backend.
func (s *Server) countTokens(x *exchange) {
	req, ok := readRequest(x, anthropic.DecodeCountRequest)
	if !ok {
		return
	}
	x.rec.alias = req.Model
	route, ae := findRoute(x.cfg, req.Model)
	if ae != nil {
		x.fail(ae)
		return
	}
	// The deployment that would answer next, preferring one whose model
	// has been calibrated already.
	deps, _ := s.be.pool.order(route.Deployments, time.Duration(math.MaxInt64))
	d := deps[0]
	for _, c := range deps {
		if s.be.pool.model(modelKey{keyOf(c), c.Model}).cal.calibrated() {
			d = c
			break
		}
	}
	// What /api/show said about the model, if a request has asked
	// already: count_tokens does not call the backend itself. Unknown
	// capabilities count the tools (dropsTools keeps them, as the real
	// request does when /api/show cannot answer).
	var caps *anthropic.Capabilities
	if info := s.be.cachedInfo(d); info != nil {
		caps = info.Caps
	}
	creq, err := anthropic.OllamaRequest(req, anthropic.Backend{Model: d.Model, NumCtx: d.NumCtx, Caps: caps, Vision: d.SupportsVision, NoTools: dropsTools(d, caps)})
	if err != nil {
		x.fail(asAPIError(err))
		return
	}
	x.rec.backend = d.Model + "@" + hostOf(keyOf(d).base)
	n := s.be.pool.model(modelKey{keyOf(d), d.Model}).cal.apply(estimateTokens(creq))
	x.reply(http.StatusOK, anthropic.CountTokensResponse{InputTokens: n})
}

// dropsTools reports whether requests to deployment d go without their
// tools: the config says the model cannot call functions
// (supports_function_calling: false), or it says nothing, allows dropping
// what the model cannot do (drop_params) and Ollama's /api/show says the
// model lacks tools. caps is nil when /api/show has not said: the tools
// are kept then. The real request (prepare) and count_tokens both decide
// here, so that the count includes exactly the tools the model is sent.
func dropsTools(d config.Deployment, caps *anthropic.Capabilities) bool {
	if d.SupportsFunctionCalling != nil {
		return !*d.SupportsFunctionCalling
	}
	return d.DropParams && caps != nil && !caps.Tools
}

// cachedInfo returns what /api/show said about d's model if the
// capability cache holds a fresh answer, without asking Ollama; nil
// otherwise, and for backends that are not Ollama.
func (b *backends) cachedInfo(d config.Deployment) *showInfo {
	c, err := b.client(d)
	if err != nil {
		return nil
	}
	oc, ok := c.(*ollama.Client)
	if !ok {
		return nil
	}
	// The key capCache.get files the answer under.
	key := oc.BaseURL() + "\x00" + d.Model
	b.caps.mu.Lock()
	e, ok := b.caps.m[key]
	b.caps.mu.Unlock()
	if !ok || !b.caps.now().Before(e.expires) {
		return nil
	}
	return e.info
}
