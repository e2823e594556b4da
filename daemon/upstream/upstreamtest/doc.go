// Package upstreamtest holds the checks shared by the backend clients'
// tests (daemon/upstream/ollama and daemon/upstream/openaicompat): an HTTP
// server answering with a canned status and body, a callback that collects
// what a stream delivers, and the rules both clients' fuzzers hold their
// answers to (a non-2xx answer is a *upstream.StatusError and delivers
// nothing; a stream ends only with the errors the clients document).
//
// Only tests import it; TestOnlyTestsImportThis keeps it that way.
package upstreamtest
