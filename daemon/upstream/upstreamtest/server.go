package upstreamtest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Server is an HTTP server that answers every request with the status and
// body set last by Answer, so a fuzzer can send any answer through a real
// HTTP exchange. Fuzz inputs run one at a time in each worker process, so
// one server serves them all.
type Server struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	body   []byte
}

// NewServer starts a Server whose answers carry contentType, closed when
// t's test ends.
func NewServer(t testing.TB, contentType string) *Server {
	s := &Server{status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		status, body := s.status, s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

// Answer sets the status and body of the answers from now on.
func (s *Server) Answer(status int, body []byte) {
	s.mu.Lock()
	s.status, s.body = status, body
	s.mu.Unlock()
}
