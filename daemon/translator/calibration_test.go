package translator

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// synthModel is a made-up backend model: real tokens per raw-estimate
// token by kind, and its template's fixed cost. The rates are the ones
// measured on the test model through the real Anthropic SDK: tool schemas
// 0.86, system prompt 1.24, conversation 1.49.
var synthModel = calibrationFit{w: [numKinds]float64{kindTools: 0.86, kindSystem: 1.24, kindConversation: 1.49}, c: 12}

// synthEstimate is a raw estimate of tools, system and conversation.
func synthEstimate(tools, system, conv int) tokenEstimate {
	return tokenEstimate{kinds: [numKinds]int{kindTools: tools, kindSystem: system, kindConversation: conv}}
}

// synthReal is what synthModel reads for e, off by a deterministic
// wobble of up to ±2% (content the estimate packs a little differently).
func synthReal(e tokenEstimate, i int) int {
	wobble := []float64{0, 0.013, -0.02, 0.007, -0.011, 0.018, -0.004}[i%7]
	return int(math.Round(synthModel.predict(e) * (1 + wobble)))
}

func offBy(got int, want float64) float64 { return math.Abs(float64(got)-want) / want }

// TestCalibrationFit checks the per-kind fit against the single line it
// replaces, on histories like the ones that made the single line miss.
func TestCalibrationFit(t *testing.T) {
	small := func(i int) tokenEstimate { // one to three small tools and "Hi"
		return synthEstimate(75*(1+i%3), 0, 5+i%2)
	}
	agent := func(turns int) tokenEstimate { // tools, a system prompt, a conversation
		return synthEstimate(146, 326, 5+120*turns)
	}
	rep := func(n int, f func(int) tokenEstimate) []tokenEstimate {
		var out []tokenEstimate
		for i := range n {
			out = append(out, f(i))
		}
		return out
	}
	cat := func(a ...[]tokenEstimate) []tokenEstimate {
		var out []tokenEstimate
		for _, x := range a {
			out = append(out, x...)
		}
		return out
	}
	for _, c := range []struct {
		name    string
		history []tokenEstimate
		target  tokenEstimate
		// maxOff is the error allowed for the per-kind fit; lineOff, when
		// set, is the least error of the single line on the same history
		// (showing the history is one that needs the per-kind fit).
		maxOff, lineOff float64
	}{
		{name: "one similar request", history: []tokenEstimate{agent(2)}, target: agent(6), maxOff: 0.08},
		{name: "same shape, growing", history: []tokenEstimate{agent(0), agent(2), agent(4), agent(6)}, target: agent(9), maxOff: 0.02},
		{name: "skewed: small tool-only requests, then one agent-shaped",
			history: cat(rep(24, small), []tokenEstimate{agent(2)}), target: agent(6), maxOff: calibratedTolerance, lineOff: calibratedTolerance},
		{name: "skewed, then two agent-shaped",
			history: cat(rep(20, small), []tokenEstimate{agent(0), agent(2)}), target: agent(9), maxOff: 0.05, lineOff: calibratedTolerance},
		{name: "kinds apart: tools, system, conversation alone",
			history: cat(rep(6, small), []tokenEstimate{synthEstimate(0, 300, 5), synthEstimate(0, 700, 5), synthEstimate(0, 0, 250), synthEstimate(0, 0, 600)}),
			target:  agent(12), maxOff: 0.03},
		{name: "the agent-shaped history, then a small tool-only request",
			history: cat([]tokenEstimate{agent(1), agent(3)}, rep(10, small), []tokenEstimate{agent(5)}), target: small(1), maxOff: calibratedTolerance},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cal calibration
			var line lineCalibration
			for i, e := range c.history {
				cal.observe(e, synthReal(e, i))
				line.observe(e.total(), synthReal(e, i))
			}
			want := synthModel.predict(c.target)
			got, lineGot := cal.apply(c.target), line.apply(c.target.total())
			t.Logf("per-kind %d, single line %d, real %.0f: off by %.1f%% and %.1f%%; fit %+v", got, lineGot, want, offBy(got, want)*100, offBy(lineGot, want)*100, cal.fit)
			if off := offBy(got, want); off > c.maxOff {
				t.Errorf("per-kind fit %d is %.1f%% off %.0f; want within %.0f%%", got, off*100, want, c.maxOff*100)
			}
			if off := offBy(lineGot, want); off < c.lineOff {
				t.Errorf("the single line is only %.1f%% off: the history does not show what the per-kind fit is for", off*100)
			}
		})
	}
}

// lineCalibration is the single least-squares line that the per-kind fit
// replaced, kept here to show what it got wrong.
type lineCalibration struct{ est, real []float64 }

func (l *lineCalibration) observe(est, real int) {
	l.est, l.real = append(l.est, float64(est)), append(l.real, float64(real))
}

func (l *lineCalibration) apply(est int) int {
	var sx, sy, sxx, sxy float64
	for i := range l.est {
		sx, sy, sxx, sxy = sx+l.est[i], sy+l.real[i], sxx+l.est[i]*l.est[i], sxy+l.est[i]*l.real[i]
	}
	k, x := float64(len(l.est)), float64(est)
	y := x * sy / sx
	if d := k*sxx - sx*sx; len(l.est) >= 2 && d > 1e-9*k*sxx {
		if slope := (k*sxy - sx*sy) / d; slope > 0 {
			y = slope*x + (sy-slope*sx)/k
		}
	}
	return int(math.Round(y))
}

// TestCalibrationFallback checks the cases where the samples cannot tell
// the kinds apart: the fit is then the single line (or ratio) exactly.
func TestCalibrationFallback(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }
	sample := func(tools, system, conv, real float64) calibrationSample {
		return calibrationSample{x: [numKinds]float64{kindTools: tools, kindSystem: system, kindConversation: conv}, real: real}
	}
	for _, c := range []struct {
		name    string
		samples []calibrationSample
		w       [numKinds]float64
		c       float64
	}{
		{"none", nil, [numKinds]float64{1, 1, 1}, 0},
		{"one: the ratio", []calibrationSample{sample(100, 200, 100, 500)}, [numKinds]float64{1.25, 1.25, 1.25}, 0},
		{"one size only: the ratio of the sums", []calibrationSample{sample(100, 0, 100, 220), sample(0, 200, 0, 260)}, [numKinds]float64{1.2, 1.2, 1.2}, 0},
		{"two sizes: the line through both", []calibrationSample{sample(100, 100, 0, 250), sample(100, 100, 200, 500)}, [numKinds]float64{1.25, 1.25, 1.25}, 0},
		// The same mix in every sample (the kinds grow together): the
		// line, whatever the noise.
		{"one mix, several sizes", []calibrationSample{sample(10, 20, 30, 70), sample(20, 40, 60, 125), sample(40, 80, 120, 260), sample(30, 60, 90, 190)},
			[numKinds]float64{1.0583333333, 1.0583333333, 1.0583333333}, 2.5},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := fitCalibration(c.samples)
			for k := range numKinds {
				if !near(f.w[k], c.w[k]) {
					t.Fatalf("fit %+v; want weights %v and fixed cost %v", f, c.w, c.c)
				}
			}
			if !near(f.c, c.c) {
				t.Fatalf("fit %+v; want weights %v and fixed cost %v", f, c.w, c.c)
			}
		})
	}
	t.Run("a kind no sample has gets the common slope", func(t *testing.T) {
		var samples []calibrationSample
		for i := range 8 {
			e := synthEstimate(75*(1+i%3), 0, 5+40*(i%4))
			samples = append(samples, sample(float64(e.kinds[kindTools]), 0, float64(e.kinds[kindConversation]), float64(synthReal(e, i))))
		}
		f := fitCalibration(samples)
		if !(f.w[kindSystem] > f.w[kindTools] && f.w[kindSystem] < f.w[kindConversation]) {
			t.Errorf("fit %+v: the system weight should lie between the others", f)
		}
		// kindRidge pulls both a little toward the common slope.
		if math.Abs(f.w[kindTools]-0.86) > 0.08 || math.Abs(f.w[kindConversation]-1.49) > 0.15 {
			t.Errorf("fit %+v; want tools near 0.86 and conversation near 1.49", f)
		}
	})
	t.Run("kinds that would stray too far: pulled back", func(t *testing.T) {
		// Tools and system barely apart, with counts that disagree: the
		// least-squares weights would be wild.
		f := fitCalibration([]calibrationSample{sample(100, 101, 0, 300), sample(101, 100, 0, 120), sample(200, 200, 0, 410), sample(50, 51, 0, 100)})
		s := (f.w[kindTools] + f.w[kindSystem]) / 2
		for k := range numKinds {
			if f.w[k] <= 0 || f.w[k] < s/kindSpread || f.w[k] > s*kindSpread {
				t.Errorf("fit %+v strays beyond %v of the common slope", f, kindSpread)
			}
		}
	})
}

// TestCalibrationImages checks that images cost their fixed tokens and
// stay out of the text fit.
func TestCalibrationImages(t *testing.T) {
	var c calibration
	text := synthEstimate(0, 100, 100)
	img := text
	img.images = imageTokens
	c.observe(text, 300)
	c.observe(img, 300+imageTokens)
	if got := c.apply(img); got != 300+imageTokens {
		t.Errorf("apply with an image = %d, want %d", got, 300+imageTokens)
	}
	// A model that reads an image as fewer tokens than the whole fixed
	// cost: that answer says nothing about the text.
	c.observe(img, 200)
	if got := c.apply(text); got != 300 {
		t.Errorf("apply = %d after an answer whose image cost less than assumed, want 300", got)
	}
	c.observe(tokenEstimate{}, 10)
	c.observe(text, 0)
	if c.n != 2 {
		t.Errorf("%d samples kept; empty estimates and counts must be left out", c.n)
	}
}

// TestEstimateTokensKinds checks which kind each part of a request counts
// toward.
func TestEstimateTokensKinds(t *testing.T) {
	req := &ollama.ChatRequest{
		Messages: []ollama.Message{
			{Role: "system", Content: "Be brief."},
			{Role: "user", Content: "What's the weather?", Images: [][]byte{{1}}},
			{Role: "assistant", Thinking: "Ask the tool.", ToolCalls: []ollama.ToolCall{{Function: ollama.ToolCallFunction{Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)}}}},
			{Role: "tool", ToolName: "get_weather", Content: "sunny"},
		},
		Tools: []ollama.Tool{{Type: "function", Function: ollama.ToolFunction{Name: "get_weather", Description: "Weather.", Parameters: json.RawMessage(`{"type":"object"}`)}}},
	}
	want := tokenEstimate{images: imageTokens}
	want.kinds[kindSystem] = messageOverhead + textTokens("Be brief.")
	want.kinds[kindConversation] = 3*messageOverhead + textTokens("What's the weather?") + textTokens("Ask the tool.") +
		callOverhead + textTokens("get_weather") + textTokens(`{"city":"Paris"}`) + textTokens("sunny")
	want.kinds[kindTools] = toolOverhead + textTokens("get_weather") + textTokens("Weather.") + textTokens(`{"type":"object"}`)
	if got := estimateTokens(req); got != want {
		t.Errorf("estimateTokens = %+v, want %+v", got, want)
	}
	if got := want.total(); got != want.kinds[0]+want.kinds[1]+want.kinds[2]+imageTokens {
		t.Errorf("total = %d", got)
	}
}

// TestCalibrationAllocs: calibrating and applying allocate nothing on the
// request path.
func TestCalibrationAllocs(t *testing.T) {
	var c calibration
	i := 0
	if n := testing.AllocsPerRun(100, func() {
		e := synthEstimate(75*(1+i%3), 300*(i%2), 5+40*(i%5))
		c.observe(e, synthReal(e, i))
		c.apply(e)
		i++
	}); n != 0 {
		t.Errorf("%v allocations per observe and apply, want 0", n)
	}
}
