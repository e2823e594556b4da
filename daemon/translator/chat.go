package translator

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// A chat request's way through the translator, top to bottom: the
// handler of its API reads and converts the body (messages here,
// chatCompletions in openai.go), chat routes it and makes the output of
// its front end, dispatch (dispatch.go) sends it to a backend, and
// complete or stream (relay.go) hands the answer to the client.

// messages answers POST /v1/messages.
func (s *Server) messages(x *exchange) {
	if req, ok := readRequest(x, anthropic.DecodeRequest); ok {
		x.chat(req, anthropicAPI{s})
	}
}

// readRequest reads the body and decodes it with decode, answering the
// client itself when either fails.
func readRequest[T any](x *exchange, decode func([]byte) (T, error)) (T, bool) {
	var req T
	body, ok := x.readBody()
	if !ok {
		return req, false
	}
	req, err := decode(body)
	if err != nil {
		x.fail(asAPIError(err))
		return req, false
	}
	return req, true
}

// chat answers a decoded request of either API: routing, the backends,
// and the answer streamed or whole.
func (x *exchange) chat(req *anthropic.Request, fe frontEnd) {
	x.req = req
	x.rec.alias, x.rec.stream = req.Model, req.Stream
	route, ae := findRoute(x.cfg, req.Model)
	if ae != nil {
		x.fail(ae)
		return
	}
	x.route = route
	if route.Alias != req.Model {
		x.rec.route = route.Alias
	}
	if len(req.DroppedTools) > 0 {
		x.s.log.Info("server tools dropped: a local model cannot run them", "request_id", x.rec.id, "tools", req.DroppedTools)
	}
	t := target{Alias: req.Model}
	prefix := fe.toolIDPrefix()
	acfg := anthropic.AnswerConfig{Stops: req.StopSequences, Tools: anthropic.NewToolSet(req.Tools), NewToolID: func() string { return x.s.newID(prefix) }}
	if req.Stream {
		x.stream(fe.newStream(t, acfg))
		return
	}
	x.complete(fe.newCollect(t, acfg))
}

// findRoute finds the deployments for a model name, or the error to
// answer.
func findRoute(cfg *config.Config, model string) (*config.Route, *anthropic.Error) {
	route, err := cfg.Route(model)
	if err != nil {
		var nf *config.NotFoundError
		if errors.As(err, &nf) {
			return nil, anthropic.NotFound("model %q is not configured in clawbridge; configured models: %s", nf.Model, knownList(nf.Known))
		}
		return nil, anthropic.Failure("routing model %q: %v", model, err)
	}
	return route, nil
}

// frontEnd is one of the APIs the translator serves: it makes the output
// that writes an answer in its terms, streamed or whole.
type frontEnd interface {
	newStream(t target, cfg anthropic.AnswerConfig) streamOutput
	newCollect(t target, cfg anthropic.AnswerConfig) collectOutput
	// toolIDPrefix starts the ids of tool calls ("toolu_", "call_").
	toolIDPrefix() string
}

// output is what both kinds of output share.
type output interface {
	// chunk takes one chunk; true means the answer is complete.
	chunk(c *ollama.ChatResponse) bool
	// started says which backend answers, before its first chunk.
	started(a *attempt)
	answer() *anthropic.Answer
}

// streamOutput writes an answer as server-sent events.
type streamOutput interface {
	output
	// end closes the stream after the upstream call returned err.
	end(err error)
	ping()
	// fail ends the stream with an error event.
	fail(ae *anthropic.Error)
	writeTo(w io.Writer) error
}

// collectOutput collects an answer into one response body.
type collectOutput interface {
	output
	// end returns the body, or the error the client gets instead.
	end(err error) (any, *anthropic.Error)
}

// startBackend adapts the output to the backend that answers.
func startBackend(out output, a *attempt) {
	if !a.backend.Repair {
		out.answer().NoRepair()
	}
	out.started(a)
}

// errStopSequence stops reading Ollama once a stop sequence has ended the
// answer; returning it from the chunk callback closes the connection,
// which makes Ollama stop generating.
var errStopSequence = errors.New("stop sequence reached")

// complete answers a non-streaming request: the whole answer, collected,
// as one JSON body.
func (x *exchange) complete(col collectOutput) {
	ctx := x.r.Context()
	err := x.s.be.dispatch(ctx, x, func(a *attempt) { startBackend(col, a) }, func(c *ollama.ChatResponse) error {
		x.rec.firstToken(c)
		if col.chunk(c) && !c.Done {
			return errStopSequence
		}
		return nil
	})
	switch {
	case errors.Is(err, errStopSequence):
		err = nil
	case err != nil && ctx.Err() != nil:
		if err = context.Cause(ctx); !isAPIError(err) {
			x.rec.err = "client went away"
			return
		}
	}
	body, ae := col.end(err)
	if ae != nil {
		x.fail(ae)
		return
	}
	x.rec.outcome = col.answer().Outcome()
	x.reply(http.StatusOK, body)
}
