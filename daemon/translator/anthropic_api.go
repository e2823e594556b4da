package translator

import (
	"io"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// anthropicAPI is the Messages API front end: answers as Anthropic
// messages and message events.
type anthropicAPI struct{ s *Server }

func (f anthropicAPI) newStream(t target, cfg anthropic.AnswerConfig) streamOutput {
	return newEventStream(f.s.newID("msg_"), t, cfg)
}

func (f anthropicAPI) newCollect(t target, cfg anthropic.AnswerConfig) collectOutput {
	return newCollector(f.s.newID("msg_"), t, cfg)
}

func (anthropicAPI) toolIDPrefix() string { return "toolu_" }

// eventStream is one streamed answer: the answer state machine writing
// into the SSE encoder. It does no I/O; the server feeds it Ollama chunks
// and moves its bytes to the network, and tests feed it recorded chunks
// and compare the transcript with a golden file.
type eventStream struct {
	enc anthropic.StreamEncoder
	ans *anthropic.Answer
	t   target
}

// newEventStream starts a stream (its message_start is buffered at once)
// for an answer to the client's model t.Alias.
func newEventStream(msgID string, t target, cfg anthropic.AnswerConfig) *eventStream {
	s := &eventStream{t: t}
	s.ans = anthropic.NewAnswer(&s.enc, cfg)
	s.enc.MessageStart(msgID, t.Alias)
	return s
}

// chunk takes one Ollama chunk; true means the answer is complete.
func (s *eventStream) chunk(c *ollama.ChatResponse) bool { return s.ans.Add(c) }

func (s *eventStream) started(a *attempt)        { s.t = a.target }
func (s *eventStream) answer() *anthropic.Answer { return s.ans }
func (s *eventStream) ping()                     { s.enc.Ping() }
func (s *eventStream) fail(ae *anthropic.Error)  { s.enc.Fail(ae.Type, ae.Message) }
func (s *eventStream) writeTo(w io.Writer) error { return s.enc.WriteEvents(w) }

// end closes the stream after the upstream call returned err. A stream
// that closed without its done line still ends as a normal message; any
// other failure becomes an error event, after which nothing follows.
func (s *eventStream) end(err error) {
	if !s.ans.Close(err) {
		ae := s.t.errorFor(err)
		s.enc.Fail(ae.Type, ae.Message)
	}
}

// collector is eventStream's counterpart for clients that did not ask for
// a stream: the same state machine, collecting one Message.
type collector struct {
	b   *anthropic.MessageBuilder
	ans *anthropic.Answer
	t   target
}

func newCollector(msgID string, t target, cfg anthropic.AnswerConfig) *collector {
	c := &collector{t: t, b: anthropic.NewMessageBuilder(msgID, t.Alias)}
	c.ans = anthropic.NewAnswer(c.b, cfg)
	return c
}

func (c *collector) chunk(r *ollama.ChatResponse) bool { return c.ans.Add(r) }
func (c *collector) started(a *attempt)                { c.t = a.target }
func (c *collector) answer() *anthropic.Answer         { return c.ans }

// end returns the finished message, or the error the client gets instead.
func (c *collector) end(err error) (any, *anthropic.Error) {
	msg, ae := c.message(err)
	if ae != nil {
		return nil, ae
	}
	return msg, nil
}

// message returns the finished message, or the error the client gets
// instead.
func (c *collector) message(err error) (*anthropic.Message, *anthropic.Error) {
	if !c.ans.Close(err) {
		return nil, c.t.errorFor(err)
	}
	return c.b.Message(), nil
}
