package config

import "time"

// The translator's queue: when every backend of a model_name already
// answers its max_parallel_requests, a request waits for the first slot to
// free (first come, first served) instead of being refused. The queue is
// bounded twice, so that a runaway client still meets a clear error: by
// how many requests may wait for one model_name, and by how long each may
// wait.

// DefaultQueueLength is clawbridge.translator.queue_length when the config
// does not set it: Ollama's own queue length (OLLAMA_MAX_QUEUE defaults to
// 512). With the requests in flight on top, clawbridge holds more than one
// Ollama would accept, so the default never refuses what Ollama serves.
const DefaultQueueLength = 512

// DefaultQueueTimeout is clawbridge.translator.queue_timeout when the
// config does not set it. Ollama lets a queued request wait without a
// bound; half an hour is longer than clients wait for an answer (the
// Anthropic SDKs give up on a request after ten minutes), so in practice
// only a client that waits longer than that meets it.
const DefaultQueueTimeout = 30 * time.Minute

// maxQueueLength bounds queue_length: a larger value is a mistake.
const maxQueueLength = 1 << 20

// MaxQueued returns how many requests may wait for a free slot of one
// model_name; 0 means none: a request that finds every backend full is
// refused at once.
func (t TranslatorSettings) MaxQueued() int {
	if t.QueueLength == nil {
		return DefaultQueueLength
	}
	return *t.QueueLength
}

// QueueWait returns how long a request may wait for a free slot; 0 means
// without a bound.
func (t TranslatorSettings) QueueWait() time.Duration {
	if t.QueueTimeout == nil {
		return DefaultQueueTimeout
	}
	return time.Duration(*t.QueueTimeout * float64(time.Second))
}

// checkQueue reports queue settings out of range.
func (d *decoder) checkQueue(t TranslatorSettings) {
	key := "clawbridge.translator.queue_length"
	if n := t.QueueLength; n != nil && !d.failed(key) && (*n < 0 || *n > maxQueueLength) {
		d.problem(key, d.lineOf(key), "%d is out of range; want 0 (refuse at once) to %d (default %d)", *n, maxQueueLength, DefaultQueueLength)
	}
	key = "clawbridge.translator.queue_timeout"
	if w := t.QueueTimeout; w != nil && !d.failed(key) && (*w < 0 || *w > maxIdleTimeout) {
		d.problem(key, d.lineOf(key), "%v is out of range; want seconds up to %d, or 0 for no bound (default %d)",
			*w, maxIdleTimeout, int(DefaultQueueTimeout.Seconds()))
	}
}
