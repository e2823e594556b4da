// Package notify sends the daemon's desktop notifications: re-patched after
// an install, auth profile restored, backend down and back up, config
// rejected.
//
// A background daemon that notifies too often gets switched off, so the
// Notifier de-duplicates (the same key within Dedupe is sent once) and
// rate-limits (at most Burst per minute), and it never blocks its caller:
// notifications are sent on their own goroutine, and when the desktop has no
// notification service the failure is logged once, not on every event.
//
// On macOS, clawbridge.app notifies as itself through
// UNUserNotificationCenter (cgo builds); the bare binary goes through
// osascript, whose notifications macOS files under Script Editor and may
// drop without an error, which is detected and reported as a failure.
package notify

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Notifier. The zero value sends through beeep.
type Options struct {
	// Send delivers one notification; nil means the system's way
	// (systemSender): on macOS the app bundle's own notifications, else
	// osascript; elsewhere beeep (DBus org.freedesktop.Notifications on
	// Linux).
	Send func(title, message string) error
	// Icon is a PNG shown with the notification (beeep only; the app
	// bundle shows its own icon).
	Icon []byte
	// Dedupe is how long a key stays quiet after it was sent (default 1m).
	Dedupe time.Duration
	// Burst is the most notifications sent in any minute (default 6).
	Burst int
	// Logger receives the send failures and the dropped notifications.
	Logger *slog.Logger
	// Now is the clock, for tests.
	Now func() time.Time
}

// Message is one notification. Key groups repeats of the same news (for
// example "repatch:/path/to/models.generated.js"), so a burst of installs
// produces one notification, not ten.
type Message struct {
	Key, Title, Body string
	// Requested marks the answer to something the user just asked for (a
	// doctor run from the menu): it is shown even with notifications
	// switched off, and never de-duplicated or rate-limited.
	Requested bool
}

// Notifier sends Messages. It is safe for concurrent use.
type Notifier struct {
	opts    Options
	enabled atomic.Bool
	queue   chan Message

	mu     sync.Mutex
	sentAt map[string]time.Time
	recent []time.Time // send times within the last minute
	failed bool        // a send failed; logged once until one succeeds
}

// New returns an enabled Notifier; call Run to deliver.
func New(o Options) *Notifier {
	if o.Dedupe == 0 {
		o.Dedupe = time.Minute
	}
	if o.Burst == 0 {
		o.Burst = 6
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Send == nil {
		o.Send = systemSender(o.Icon)
	}
	n := &Notifier{opts: o, queue: make(chan Message, 32), sentAt: map[string]time.Time{}}
	n.enabled.Store(true)
	return n
}

// SetEnabled switches notifications on or off (the config's and the tray's
// switch). Messages sent while off are dropped, not queued.
func (n *Notifier) SetEnabled(on bool) { n.enabled.Store(on) }

// Enabled reports the switch.
func (n *Notifier) Enabled() bool { return n.enabled.Load() }

// Notify queues m unless notifications are off, m's key was sent within
// Dedupe, or Burst were sent in the last minute. It reports whether m was
// queued, and never blocks.
func (n *Notifier) Notify(m Message) bool {
	if m.Requested {
		return n.enqueue(m)
	}
	if !n.enabled.Load() {
		return false
	}
	now := n.opts.Now()
	n.mu.Lock()
	if at, ok := n.sentAt[m.Key]; ok && m.Key != "" && now.Sub(at) < n.opts.Dedupe {
		n.mu.Unlock()
		return false
	}
	cut := 0
	for cut < len(n.recent) && now.Sub(n.recent[cut]) >= time.Minute {
		cut++
	}
	n.recent = n.recent[cut:]
	if len(n.recent) >= n.opts.Burst {
		n.mu.Unlock()
		n.opts.Logger.Info("notification dropped: too many in the last minute", "title", m.Title)
		return false
	}
	n.recent = append(n.recent, now)
	if m.Key != "" {
		n.sentAt[m.Key] = now
	}
	n.mu.Unlock()
	return n.enqueue(m)
}

func (n *Notifier) enqueue(m Message) bool {
	select {
	case n.queue <- m:
		return true
	default:
		n.opts.Logger.Info("notification dropped: queue full", "title", m.Title)
		return false
	}
}

// Run delivers queued notifications until ctx is done.
func (n *Notifier) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-n.queue:
			n.send(m)
		}
	}
}

func (n *Notifier) send(m Message) {
	err := n.opts.Send(m.Title, m.Body)
	n.mu.Lock()
	first := err != nil && !n.failed
	n.failed = err != nil
	n.mu.Unlock()
	switch {
	case first:
		n.opts.Logger.Warn("desktop notifications are not working; events are still logged here", "err", err)
	case err != nil:
		n.opts.Logger.Debug("notification not sent", "title", m.Title, "err", err)
	}
}
