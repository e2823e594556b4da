package daemon

import (
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/daemon/notify"
	"github.com/clawbridge/clawbridge/daemon/status"
)

// live is the daemon's state with its subscribers, and the one way to
// report a problem: in the log, on the state and as a notification.
type live struct {
	log      *slog.Logger
	notifier *notify.Notifier

	// mu guards the fields below. It is taken after parts.applyMu, never
	// before it; while holding it nothing else is locked or called, only
	// channel sends that cannot block.
	mu      sync.Mutex
	state   status.State
	errKind string // what LastError is about, so that a fix clears its own
	subs    map[chan status.State]struct{}
}

func newLive(s status.State, log *slog.Logger, notifier *notify.Notifier) *live {
	return &live{log: log, notifier: notifier, state: s, subs: map[chan status.State]struct{}{}}
}

// State returns a copy of the live state.
func (l *live) State() status.State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state.Clone()
}

// Subscribe returns a channel that receives the state after every change
// (only the newest when the reader is slow), and a func to unsubscribe.
func (l *live) Subscribe() (<-chan status.State, func()) {
	ch := make(chan status.State, 1)
	l.mu.Lock()
	l.subs[ch] = struct{}{}
	ch <- l.state.Clone()
	l.mu.Unlock()
	return ch, func() {
		l.mu.Lock()
		delete(l.subs, ch)
		l.mu.Unlock()
	}
}

// update changes the state with f and hands the result to every
// subscriber when it differs.
func (l *live) update(f func(*status.State)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	before := l.state.Clone()
	f(&l.state)
	if reflect.DeepEqual(before, l.state) {
		return
	}
	for ch := range l.subs {
		select {
		case <-ch:
		default:
		}
		ch <- l.state.Clone()
	}
}

// problem records something of kind that went wrong, logs it and
// notifies the user.
func (l *live) problem(kind, title, msg string) {
	l.log.Warn(title, "problem", msg)
	l.update(func(st *status.State) {
		st.LastError, st.LastErrorTime, l.errKind = title+": "+msg, time.Now(), kind
	})
	l.notifier.Notify(notify.Message{Key: "problem:" + kind + ":" + msg, Title: title, Body: msg})
}

// solved clears LastError when it is about kind: a good config clears
// "config not applied".
func (l *live) solved(kind string) {
	l.update(func(st *status.State) {
		if st.LastError != "" && l.errKind == kind {
			st.LastError, l.errKind = "", ""
		}
	})
}
